import { rule } from '../../src/scanner/rules/BWK-IAC-NO-ACCESS-LOGS.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const sam = 'Transform: AWS::Serverless-2016-10-31\n';

testRule(rule, {
  valid: [
    { name: 'SAM Api with AccessLogSetting', code: `${sam}Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n      AccessLogSetting:\n        DestinationArn: !GetAtt Logs.Arn\n        Format: $context.requestId\n` },
    { name: 'SAM Globals for implicit API', code: `${sam}Globals:\n  Api:\n    AccessLogSetting:\n      DestinationArn: !GetAtt Logs.Arn\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.h\n      Events:\n        Get: { Type: Api, Properties: { Path: /, Method: get } }\n` },
    { name: 'CFN JSON v2 stage with logs', filename: 'template.json', code: JSON.stringify({ Resources: { S: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: { Ref: 'A' }, StageName: '$default', AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': ['L', 'Arn'] }, Format: '$context.requestId' } } } } }, null, 2) },
    { name: 'serverless logs.restApi on', filename: 'serverless.yml', code: 'service: s\nprovider:\n  name: aws\n  logs:\n    restApi: true\nfunctions:\n  f:\n    handler: h.f\n    events:\n      - http: GET /\n' },
  ],
  invalid: [
    { name: 'SAM implicit API without logs', code: `${sam}Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.h\n      Events:\n        Get:\n          Type: Api\n          Properties: { Path: /, Method: get }\n`, errors: [{ messageId: 'noLogs', line: 8 }] },
    { name: 'SAM HttpApi resource without logs', code: `${sam}Resources:\n  Http:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      StageName: prod\n`, errors: [{ messageId: 'noLogs', line: 3 }] },
    { name: 'CFN JSON REST stage without logs', filename: 'template.json', code: JSON.stringify({ Resources: { S: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: { Ref: 'A' }, StageName: 'prod', TracingEnabled: true } } } }, null, 2), errors: [{ messageId: 'noLogs', line: 3 }] },
    { name: 'serverless httpApi events without logs.httpApi', filename: 'serverless.yml', code: 'service: s\nprovider:\n  name: aws\n  logs:\n    restApi: true\nfunctions:\n  f:\n    handler: h.f\n    events:\n      - httpApi: GET /a\n  g:\n    handler: h.g\n    events:\n      - httpApi: GET /b\n', errors: [{ messageId: 'noLogs', line: 10 }] },
  ],
});
