import { rule } from '../../src/scanner/rules/BWK-IAC-ENV-NO-KMS.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

testRule(rule, {
  valid: [
    { name: 'SAM Globals key for all functions', code: 'Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    KmsKeyArn: !GetAtt EnvKey.Arn\n    Environment:\n      Variables: { TABLE: orders }\nResources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: a.h }\n' },
    { name: 'no environment at all', code: 'Transform: AWS::Serverless-2016-10-31\nResources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: a.h, Runtime: nodejs22.x }\n' },
    { name: 'CFN JSON function with key', filename: 'template.json', code: JSON.stringify({ Resources: { F: { Type: 'AWS::Lambda::Function', Properties: { KmsKeyArn: { 'Fn::GetAtt': ['K', 'Arn'] }, Environment: { Variables: { A: '1' } } } } } }, null, 2) },
    { name: 'serverless provider kmsKeyArn', filename: 'serverless.yml', code: 'service: s\nprovider:\n  name: aws\n  kmsKeyArn: arn:aws:kms:eu-west-1:123456789012:key/abcd\n  environment:\n    STAGE: ${sls:stage}\nfunctions:\n  f:\n    handler: h.f\n' },
  ],
  invalid: [
    { name: 'SAM function env without key', code: 'Transform: AWS::Serverless-2016-10-31\nResources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.h\n      Environment:\n        Variables:\n          TABLE: orders\n', errors: [{ messageId: 'noKms', line: 7 }] },
    { name: 'SAM Globals env shared by two functions: one finding', code: 'Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Environment:\n      Variables: { STAGE: prod }\nResources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: a.h }\n  B:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: b.h }\n', errors: [{ messageId: 'noKms', line: 4 }] },
    { name: 'CFN JSON env without key', filename: 'template.json', code: JSON.stringify({ Resources: { F: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { BUCKET: { Ref: 'B' } } } } } } }, null, 2), errors: [{ messageId: 'noKms', line: 6 }] },
    { name: 'serverless function env without key', filename: 'serverless.yml', code: 'service: s\nprovider:\n  name: aws\nfunctions:\n  f:\n    handler: h.f\n    environment:\n      QUEUE_URL: https://sqs.example\n', errors: [{ messageId: 'noKms', line: 7 }] },
  ],
});
