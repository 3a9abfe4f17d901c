import { rule } from '../../src/scanner/rules/BWK-IAC-RUNTIME-EOL.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

// Pinned so the cases mean the same on any day the suite runs.
const today = { ruleOptions: { 'BWK-IAC-RUNTIME-EOL': { today: '2026-11-22' } } };
const sam = (runtime: string) => `Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      Runtime: ${runtime}\n`;

testRule(rule, {
  valid: [
    { name: 'SAM nodejs24.x', code: sam('nodejs24.x'), options: today },
    { name: 'CFN JSON python3.13 and java21', filename: 'template.json', options: today, code: JSON.stringify({ Resources: { A: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'python3.13' } }, B: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'java21' } } } }, null, 2) },
    { name: 'runtime from a parameter is not guessed', code: sam('!Ref RuntimeParam'), options: today },
    { name: 'serverless provided.al2023', filename: 'serverless.yml', options: today, code: 'service: s\nprovider:\n  name: aws\n  runtime: provided.al2023\nfunctions:\n  f:\n    handler: bootstrap\n' },
  ],
  invalid: [
    { name: 'SAM nodejs18.x', code: sam('nodejs18.x'), options: today, errors: [{ messageId: 'deprecated', line: 7 }] },
    { name: 'SAM Globals python3.9 shared: one finding', options: today, code: 'Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Runtime: python3.9\nResources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: a.h }\n  B:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: b.h }\n', errors: [{ messageId: 'deprecated', line: 4 }] },
    { name: 'CFN JSON go1.x and dotnet8', filename: 'template.json', options: today, code: JSON.stringify({ Resources: { A: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'go1.x' } }, B: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'dotnet8' } } } }, null, 2), errors: [{ messageId: 'deprecated', line: 6 }, { messageId: 'deprecated', line: 12 }] },
    { name: 'serverless function ruby3.3 soon, provider nodejs16.x', filename: 'serverless.yml', options: today, code: 'service: s\nprovider:\n  name: aws\n  runtime: nodejs16.x\nfunctions:\n  a:\n    handler: h.a\n  b:\n    handler: h.b\n    runtime: ruby3.3\n', errors: [{ messageId: 'deprecated', line: 4 }, { messageId: 'soon', line: 10 }] },
  ],
});
