import { rule } from '../../src/scanner/rules/BWK-IAC-API-NO-AUTH.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const sam = 'Transform: AWS::Serverless-2016-10-31\nResources:\n';
const fn = (events: string) => `${sam}  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      Events:\n${events}`;

testRule(rule, {
  valid: [
    { name: 'SAM Api with a DefaultAuthorizer', code: `${sam}  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n      Auth:\n        DefaultAuthorizer: Cognito\n        Authorizers:\n          Cognito: { UserPoolArn: !GetAtt Pool.Arn }\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      Events:\n        Get:\n          Type: Api\n          Properties: { RestApiId: !Ref Api, Path: /items, Method: get }\n` },
    { name: 'HttpApi event with its own JWT authorizer, OPTIONS open', code: fn('        Get:\n          Type: HttpApi\n          Properties:\n            Path: /me\n            Method: GET\n            Auth: { Authorizer: OAuth2 }\n        Pre:\n          Type: HttpApi\n          Properties: { Path: /me, Method: OPTIONS }\n') },
    { name: 'CFN JSON method with Cognito and IAM function URL', filename: 'template.json', code: JSON.stringify({ Resources: { M: { Type: 'AWS::ApiGateway::Method', Properties: { HttpMethod: 'POST', AuthorizationType: 'COGNITO_USER_POOLS', AuthorizerId: { Ref: 'Auth' } } }, U: { Type: 'AWS::Lambda::Url', Properties: { AuthType: 'AWS_IAM', TargetFunctionArn: { Ref: 'F' } } } } }, null, 2) },
    { name: 'serverless http with authorizer and private api key', filename: 'serverless.yml', code: "service: s\nprovider:\n  name: aws\nfunctions:\n  a:\n    handler: h.a\n    events:\n      - http:\n          path: /orders\n          method: post\n          authorizer: aws_iam\n      - http:\n          path: /internal\n          method: get\n          private: true\n" },
  ],
  invalid: [
    { name: 'SAM implicit Api without auth', code: fn('        Get:\n          Type: Api\n          Properties:\n            Path: /items\n            Method: get\n'), errors: [{ messageId: 'route', line: 8 }] },
    { name: 'SAM HttpApi Authorizer NONE and function URL NONE', code: `${sam}  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      FunctionUrlConfig:\n        AuthType: NONE\n      Events:\n        Open:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref Http\n            Path: /open\n            Method: POST\n            Auth:\n              Authorizer: NONE\n  Http:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      Auth: { DefaultAuthorizer: Jwt }\n`, errors: [{ messageId: 'functionUrl', line: 8 }, { messageId: 'route', line: 17 }] },
    { name: 'CFN JSON REST method NONE and v2 route without AuthorizationType', filename: 'template.json', code: JSON.stringify({ Resources: { M: { Type: 'AWS::ApiGateway::Method', Properties: { HttpMethod: 'GET', AuthorizationType: 'NONE' } }, R: { Type: 'AWS::ApiGatewayV2::Route', Properties: { ApiId: { Ref: 'A' }, RouteKey: 'POST /pay' } } } }, null, 2), errors: [{ messageId: 'route', line: 7 }, { messageId: 'route', line: 10 }] },
    { name: 'serverless short http, httpApi and url', filename: 'serverless.yml', code: "service: s\nprovider:\n  name: aws\nfunctions:\n  a:\n    handler: h.a\n    url: true\n    events:\n      - http: GET /public\n      - httpApi:\n          path: /things\n          method: delete\n", errors: [{ messageId: 'functionUrl', line: 7 }, { messageId: 'route', line: 9 }, { messageId: 'route', line: 10 }] },
  ],
});
