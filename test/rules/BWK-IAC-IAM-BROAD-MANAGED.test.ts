import { rule } from '../../src/scanner/rules/BWK-IAC-IAM-BROAD-MANAGED.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const sam = 'Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      Policies:\n';

testRule(rule, {
  valid: [
    { name: 'scoped SAM templates', code: `${sam}        - DynamoDBReadPolicy:\n            TableName: !Ref Table\n        - S3ReadPolicy:\n            BucketName: uploads-bucket\n` },
    { name: 'basic execution role ARN', code: `${sam}        - arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole\n        - AWSXRayDaemonWriteAccess\n` },
    { name: 'CFN JSON read-only managed policy', filename: 'template.json', code: JSON.stringify({ Resources: { R: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {}, ManagedPolicyArns: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'] } } } }, null, 2) },
    { name: 'serverless scoped managed policy', filename: 'serverless.yml', code: "service: s\nprovider:\n  name: aws\n  iam:\n    role:\n      managedPolicies:\n        - arn:aws:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy\nfunctions:\n  f:\n    handler: h.f\n" },
  ],
  invalid: [
    { name: 'SAM full-access managed policy name', code: `${sam}        - AmazonDynamoDBFullAccess\n`, errors: [{ messageId: 'broadManaged', line: 8 }] },
    { name: 'SAM S3FullAccessPolicy template and unscoped crud', code: `${sam}        - S3FullAccessPolicy:\n            BucketName: my-bucket\n        - DynamoDBCrudPolicy:\n            TableName: "*"\n`, errors: [{ messageId: 'broadTemplate', line: 8 }, { messageId: 'unscopedTemplate', line: 11 }] },
    { name: 'CFN JSON AdministratorAccess via Fn::Sub', filename: 'template.json', code: JSON.stringify({ Resources: { R: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {}, ManagedPolicyArns: [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess' }] } } } }, null, 2), errors: [{ messageId: 'broadManaged', line: 8 }] },
    { name: 'serverless PowerUserAccess', filename: 'serverless.yml', code: "service: s\nprovider:\n  name: aws\n  iamManagedPolicies:\n    - arn:aws:iam::aws:policy/PowerUserAccess\nfunctions:\n  f:\n    handler: h.f\n", errors: [{ messageId: 'broadManaged', line: 5 }] },
  ],
});
