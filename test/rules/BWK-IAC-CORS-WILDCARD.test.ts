import { rule } from '../../src/scanner/rules/BWK-IAC-CORS-WILDCARD.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const sam = 'Transform: AWS::Serverless-2016-10-31\n';

testRule(rule, {
  valid: [
    { name: 'SAM Api with a named origin', code: `${sam}Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n      Cors:\n        AllowOrigin: "'https://app.example.com'"\n        AllowMethods: "'GET,POST'"\n` },
    { name: 'HttpApi origins listed', code: `${sam}Globals:\n  HttpApi:\n    CorsConfiguration:\n      AllowOrigins: [https://app.example.com]\nResources:\n  H:\n    Type: AWS::Serverless::HttpApi\n` },
    { name: 'CFN JSON function URL with named origin', filename: 'template.json', code: JSON.stringify({ Resources: { U: { Type: 'AWS::Lambda::Url', Properties: { AuthType: 'AWS_IAM', Cors: { AllowOrigins: ['https://admin.example.com'], AllowMethods: ['*'] } } } } }, null, 2) },
    { name: 'serverless cors with named origin', filename: 'serverless.yml', code: "service: s\nprovider:\n  name: aws\nfunctions:\n  f:\n    handler: h.f\n    events:\n      - http:\n          path: /x\n          method: get\n          cors:\n            origin: https://app.example.com\n" },
  ],
  invalid: [
    { name: 'SAM Api Cors shorthand', code: `${sam}Resources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: prod\n      Cors: "'*'"\n`, errors: [{ messageId: 'wildcard', line: 7 }] },
    { name: 'SAM HttpApi CorsConfiguration true and Globals Api AllowOrigin', code: `${sam}Globals:\n  Api:\n    Cors:\n      AllowOrigin: "'*'"\nResources:\n  H:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      CorsConfiguration: true\n`, errors: [{ messageId: 'wildcard', line: 5 }, { messageId: 'wildcard', line: 10 }] },
    { name: 'CFN JSON HTTP API and REST header', filename: 'template.json', code: JSON.stringify({ Resources: { A: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'HTTP', CorsConfiguration: { AllowOrigins: ['*'] } } }, M: { Type: 'AWS::ApiGateway::Method', Properties: { HttpMethod: 'OPTIONS', Integration: { IntegrationResponses: [{ StatusCode: 200, ResponseParameters: { 'method.response.header.Access-Control-Allow-Origin': "'*'" } }] } } } } }, null, 2), errors: [{ messageId: 'wildcard', line: 9 }, { messageId: 'wildcard', line: 23 }] },
    { name: 'serverless cors true and httpApi cors true', filename: 'serverless.yml', code: "service: s\nprovider:\n  name: aws\n  httpApi:\n    cors: true\nfunctions:\n  f:\n    handler: h.f\n    events:\n      - http:\n          path: /x\n          method: get\n          cors: true\n", errors: [{ messageId: 'wildcard', line: 5 }, { messageId: 'wildcard', line: 13 }] },
  ],
});
