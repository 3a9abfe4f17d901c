import { rule } from '../../src/scanner/rules/BWK-IAC-NO-TRACING.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

testRule(rule, {
  valid: [
    { name: 'SAM Globals Tracing Active', code: 'Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Tracing: Active\nResources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: a.h }\n  B:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: b.h }\n' },
    { name: 'CFN YAML TracingConfig Active', code: 'Resources:\n  F:\n    Type: AWS::Lambda::Function\n    Properties:\n      TracingConfig:\n        Mode: Active\n' },
    { name: 'CFN JSON TracingConfig Active', filename: 'template.json', code: JSON.stringify({ Resources: { F: { Type: 'AWS::Lambda::Function', Properties: { TracingConfig: { Mode: 'Active' } } } } }, null, 2) },
    { name: 'serverless provider tracing.lambda from an option', filename: 'serverless.yml', code: "service: s\ncustom:\n  trace:\n    dev: true\nprovider:\n  name: aws\n  tracing:\n    lambda: ${self:custom.trace.${opt:stage, 'dev'}}\nfunctions:\n  f:\n    handler: h.f\n" },
  ],
  invalid: [
    { name: 'SAM function without tracing', code: 'Transform: AWS::Serverless-2016-10-31\nResources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.h\n', errors: [{ messageId: 'noTracing', line: 3 }] },
    { name: 'SAM PassThrough overrides Globals', code: 'Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Tracing: Active\nResources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.h\n      Tracing: PassThrough\n', errors: [{ messageId: 'noTracing', line: 10 }] },
    { name: 'CFN JSON without TracingConfig', filename: 'template.json', code: JSON.stringify({ Resources: { F: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'i.h' } } } }, null, 2), errors: [{ messageId: 'noTracing', line: 3 }] },
    { name: 'serverless prod stage has tracing off', filename: 'serverless.yml', code: "service: s\ncustom:\n  trace:\n    dev: true\n    prod: false\nprovider:\n  name: aws\n  tracing:\n    lambda: ${self:custom.trace.${opt:stage, 'dev'}}\nfunctions:\n  f:\n    handler: h.f\n", options: { options: { stage: 'prod' } }, errors: [{ messageId: 'noTracing', line: 9 }] },
  ],
});
