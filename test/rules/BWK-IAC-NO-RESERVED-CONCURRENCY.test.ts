import { rule } from '../../src/scanner/rules/BWK-IAC-NO-RESERVED-CONCURRENCY.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

testRule(rule, {
  valid: [
    { name: 'SAM function with reserved concurrency', code: 'Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      ReservedConcurrentExecutions: 20\n' },
    { name: 'SAM Globals set it for all', code: 'Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    ReservedConcurrentExecutions: 5\nResources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: a.handler }\n  B:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: b.handler }\n' },
    { name: 'CFN JSON function with a parameter', filename: 'template.json', code: JSON.stringify({ Parameters: { Max: { Type: 'Number', Default: 10 } }, Resources: { F: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler', ReservedConcurrentExecutions: { Ref: 'Max' } } } } }, null, 2) },
    { name: 'serverless reservedConcurrency from a variable', filename: 'serverless.yml', code: "service: s\ncustom:\n  limits: { api: 25 }\nprovider:\n  name: aws\nfunctions:\n  api:\n    handler: h.api\n    reservedConcurrency: ${self:custom.limits.api}\n" },
  ],
  invalid: [
    { name: 'SAM function without it', code: 'Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n', errors: [{ messageId: 'noReserved', line: 3 }] },
    { name: 'CFN YAML function, one of two', code: 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Ok:\n    Type: AWS::Lambda::Function\n    Properties:\n      ReservedConcurrentExecutions: 3\n  Open:\n    Type: AWS::Lambda::Function\n    Properties:\n      Handler: index.handler\n', errors: [{ messageId: 'noReserved', line: 7 }] },
    { name: 'CFN JSON function', filename: 'stack.template.json', code: JSON.stringify({ Resources: { F: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'i.h', Runtime: 'nodejs22.x' } } } }, null, 2), errors: [{ messageId: 'noReserved', line: 3 }] },
    { name: 'serverless two functions', filename: 'serverless.yml', code: 'service: s\nprovider:\n  name: aws\nfunctions:\n  a:\n    handler: h.a\n  b:\n    handler: h.b\n    reservedConcurrency: 2\n  c:\n    handler: h.c\n', errors: [{ messageId: 'noReserved', line: 5 }, { messageId: 'noReserved', line: 10 }] },
  ],
});
