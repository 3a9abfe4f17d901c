import { rule } from '../../src/scanner/rules/BWK-IAC-IAM-WILDCARD.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const sam = 'AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\nResources:\n';

testRule(rule, {
  valid: [
    { name: 'SAM inline statement scoped to a table', code: `${sam}  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      Runtime: nodejs22.x\n      Policies:\n        - Statement:\n            - Effect: Allow\n              Action: [dynamodb:GetItem, dynamodb:PutItem]\n              Resource: !GetAtt Table.Arn\n` },
    { name: 'read-only and star-only actions on *', code: `${sam}  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {}\n      Policies:\n        - PolicyName: obs\n          PolicyDocument:\n            Statement:\n              - Effect: Allow\n                Action: [xray:PutTraceSegments, cloudwatch:PutMetricData, ec2:DescribeNetworkInterfaces]\n                Resource: "*"\n` },
    { name: 'Deny with *', filename: 'template.json', code: JSON.stringify({ Resources: { P: { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'guard', PolicyDocument: { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] } } } } }, null, 2) },
    { name: 'serverless statements with ARNs from variables', filename: 'serverless.yml', code: "service: orders\nprovider:\n  name: aws\n  iam:\n    role:\n      statements:\n        - Effect: Allow\n          Action: [sqs:SendMessage]\n          Resource: arn:aws:sqs:${self:provider.region}:*:orders-${sls:stage}\nfunctions:\n  put:\n    handler: src/put.handler\n" },
  ],
  invalid: [
    { name: 'SAM inline policy with Action *', code: `${sam}  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      Policies:\n        - Version: "2012-10-17"\n          Statement:\n            - Effect: Allow\n              Action: "*"\n              Resource: "*"\n`, errors: [{ messageId: 'wildcardAction', line: 12 }] },
    { name: 'CFN JSON role with s3:*', filename: 'template.json', code: JSON.stringify({ AWSTemplateFormatVersion: '2010-09-09', Resources: { Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {}, Policies: [{ PolicyName: 'p', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: { 'Fn::Sub': 'arn:aws:s3:::${B}/*' } }] } }] } } } }, null, 2), errors: [{ messageId: 'wildcardAction', line: 16 }] },
    { name: 'serverless iamRoleStatements write on *', filename: 'serverless.yml', code: "service: api\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  iamRoleStatements:\n    - Effect: Allow\n      Action:\n        - dynamodb:PutItem\n      Resource: '*'\nfunctions:\n  hello:\n    handler: handler.hello\n", errors: [{ messageId: 'wildcardResource', line: 9 }] },
    { name: 'managed policy resource with delete on * list', code: `${sam}  Pol:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            Action: [s3:GetObject, s3:DeleteObject]\n            Resource: ["arn:aws:s3:::logs/*", "*"]\n`, errors: [{ messageId: 'wildcardResource', line: 11 }] },
  ],
});
