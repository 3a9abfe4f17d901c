import { rule } from '../../src/scanner/rules/BWK-IAC-PERMISSION-NO-SOURCE.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const perm = (props: string) => `Resources:\n  Perm:\n    Type: AWS::Lambda::Permission\n    Properties:\n      Action: lambda:InvokeFunction\n      FunctionName: !Ref Fn\n${props}`;

testRule(rule, {
  valid: [
    { name: 'S3 with SourceArn and SourceAccount', code: perm('      Principal: s3.amazonaws.com\n      SourceArn: !GetAtt Bucket.Arn\n      SourceAccount: !Ref AWS::AccountId\n') },
    { name: 'API Gateway with SourceArn via Sub', code: perm('      Principal: apigateway.amazonaws.com\n      SourceArn: !Sub arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*\n') },
    { name: 'account principal is not a service', code: perm('      Principal: "123456789012"\n') },
    { name: 'CFN JSON events rule with SourceArn', filename: 'template.json', code: JSON.stringify({ Resources: { P: { Type: 'AWS::Lambda::Permission', Properties: { Action: 'lambda:InvokeFunction', FunctionName: { Ref: 'F' }, Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': ['Rule', 'Arn'] } } } } }, null, 2) },
  ],
  invalid: [
    { name: 'S3 without source', code: perm('      Principal: s3.amazonaws.com\n'), errors: [{ messageId: 'noSource', line: 7 }] },
    { name: 'SNS without source next to a scoped one', code: `${perm('      Principal: sns.amazonaws.com\n')}  Scoped:\n    Type: AWS::Lambda::Permission\n    Properties:\n      Principal: sqs.amazonaws.com\n      SourceArn: !GetAtt Q.Arn\n`, errors: [{ messageId: 'noSource', line: 7 }] },
    { name: 'CFN JSON apigateway without source', filename: 'template.json', code: JSON.stringify({ Resources: { P: { Type: 'AWS::Lambda::Permission', Properties: { Action: 'lambda:InvokeFunction', FunctionName: 'f', Principal: 'apigateway.amazonaws.com' } } } }, null, 2), errors: [{ messageId: 'noSource', line: 8 }] },
    { name: 'serverless resources permission for events', filename: 'serverless.yml', code: 'service: s\nprovider:\n  name: aws\nfunctions:\n  f:\n    handler: h.f\nresources:\n  Resources:\n    P:\n      Type: AWS::Lambda::Permission\n      Properties:\n        Action: lambda:InvokeFunction\n        FunctionName: !GetAtt FLambdaFunction.Arn\n        Principal: events.amazonaws.com\n', errors: [{ messageId: 'noSource', line: 14 }] },
  ],
});
