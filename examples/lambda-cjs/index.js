'use strict';

// A Lambda function written for API Gateway REST APIs (payload 1.0), as it would be on AWS.
const users = {
  '1': { id: '1', name: 'Ada Lovelace' },
  '2': { id: '2', name: 'Alan Turing' },
};

exports.handler = async (event) => {
  const id = event.pathParameters && event.pathParameters.id;
  const user = users[id];
  if (!user) {
    return { statusCode: 404, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ message: 'not found' }) };
  }
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: { 'X-Served-By': ['lambda-cjs'] },
    body: JSON.stringify({ user, method: event.httpMethod, path: event.path, requestId: event.requestContext.requestId }),
  };
};
