import { rule } from '../../src/scanner/rules/BWK-IAC-ENV-SECRET.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const sam = (vars: string) => `Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      Environment:\n        Variables:\n${vars}`;

testRule(rule, {
  valid: [
    { name: 'SAM references: dynamic reference, Ref, ARN, SSM path', code: sam("          DB_PASSWORD: '{{resolve:secretsmanager:prod/db:SecretString:password}}'\n          API_KEY: !Ref ApiKeyParam\n          STRIPE_SECRET_ARN: arn:aws:secretsmanager:eu-west-1:123456789012:secret:stripe\n          TOKEN_PARAM: /prod/slack/token\n") },
    { name: 'names that point at secrets, and settings', code: sam('          SECRET_NAME: prod/stripe\n          TOKEN_TABLE: tokens\n          AUTH_HEADER: x-api-key\n          PASSWORD_POLICY: strict\n          API_KEY_REQUIRED: "true"\n') },
    { name: 'CFN JSON with Fn::Sub and non-secret names', filename: 'template.json', code: JSON.stringify({ Resources: { F: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { TABLE: { Ref: 'T' }, CLIENT_SECRET: { 'Fn::Sub': '{{resolve:ssm-secure:/app/${Stage}/client}}' }, REGION: 'eu-west-1' } } } } } }, null, 2) },
    { name: 'serverless ssm and env variables', filename: 'serverless.yml', code: "service: s\nprovider:\n  name: aws\n  environment:\n    STRIPE_KEY: ${ssm:/stripe/key}\n    JWT_SECRET: ${env:JWT_SECRET}\nfunctions:\n  f:\n    handler: h.f\n" },
  ],
  invalid: [
    { name: 'SAM literal password', code: sam('          TABLE: orders\n          DB_PASSWORD: hunter2-prod\n'), errors: [{ messageId: 'secretName', line: 10 }] },
    { name: 'SAM Globals AWS key value under an innocent name', code: 'Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Environment:\n      Variables:\n        UPLOAD_ID: AKIAIOSFODNN7EXAMPLE\nResources:\n  A:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: a.h }\n  B:\n    Type: AWS::Serverless::Function\n    Properties: { Handler: b.h }\n', errors: [{ messageId: 'secretValue', line: 6 }] },
    { name: 'CFN JSON literal api key', filename: 'template.json', code: JSON.stringify({ Resources: { F: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { PAYMENT_API_KEY: 'pk-0123456789abcdef' } } } } } }, null, 2), errors: [{ messageId: 'secretName', line: 8 }] },
    { name: 'serverless literal, resolved from self', filename: 'serverless.yml', code: "service: s\ncustom:\n  token: AKIAIOSFODNN7EXAMPLE\nprovider:\n  name: aws\nfunctions:\n  f:\n    handler: h.f\n    environment:\n      UPLOAD_KEY_ID: ${self:custom.token}\n", errors: [{ messageId: 'secretValue', line: 10 }] },
  ],
});
