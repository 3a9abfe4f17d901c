import { rule } from '../../src/scanner/rules/BWK-IAC-PUBLIC-STORAGE.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

testRule(rule, {
  valid: [
    { name: 'private bucket with full block', code: 'Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      AccessControl: Private\n      PublicAccessBlockConfiguration:\n        BlockPublicAcls: true\n        BlockPublicPolicy: true\n        IgnorePublicAcls: true\n        RestrictPublicBuckets: true\n' },
    { name: 'policy for CloudFront service principal', code: 'Resources:\n  P:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket: !Ref B\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            Principal: { Service: cloudfront.amazonaws.com }\n            Action: s3:GetObject\n            Resource: !Sub "${B.Arn}/*"\n' },
    { name: 'CFN JSON deny insecure transport to everyone', filename: 'template.json', code: JSON.stringify({ Resources: { P: { Type: 'AWS::S3::BucketPolicy', Properties: { PolicyDocument: { Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] } } } } }, null, 2) },
    { name: 'serverless resources with a conditioned allow', filename: 'serverless.yml', code: "service: s\nprovider:\n  name: aws\nresources:\n  Resources:\n    P:\n      Type: AWS::S3::BucketPolicy\n      Properties:\n        PolicyDocument:\n          Statement:\n            - Effect: Allow\n              Principal: '*'\n              Action: s3:GetObject\n              Condition:\n                StringEquals: { 'aws:PrincipalOrgID': o-abc123 }\n" },
  ],
  invalid: [
    { name: 'public-read ACL', code: 'Resources:\n  Site:\n    Type: AWS::S3::Bucket\n    Properties:\n      AccessControl: PublicRead\n', errors: [{ messageId: 'publicAcl', line: 5 }] },
    { name: 'block disabled', code: 'Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      PublicAccessBlockConfiguration:\n        BlockPublicAcls: false\n        BlockPublicPolicy: true\n        IgnorePublicAcls: true\n        RestrictPublicBuckets: false\n', errors: [{ messageId: 'blockDisabled', line: 6 }, { messageId: 'blockDisabled', line: 9 }] },
    { name: 'CFN JSON policy Principal AWS *', filename: 'template.json', code: JSON.stringify({ Resources: { P: { Type: 'AWS::S3::BucketPolicy', Properties: { PolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::b/*' }] } } } } }, null, 2), errors: [{ messageId: 'publicPolicy', line: 10 }] },
    { name: 'serverless resources public read-write bucket', filename: 'serverless.yml', code: 'service: s\nprovider:\n  name: aws\nresources:\n  Resources:\n    Drop:\n      Type: AWS::S3::Bucket\n      Properties:\n        AccessControl: PublicReadWrite\n', errors: [{ messageId: 'publicAcl', line: 9 }] },
  ],
});
