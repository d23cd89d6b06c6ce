// The addresses and credentials of the test services: one place, read by
// testenv when it starts them and by the tests that talk to them.

export const KAFKA_PORT = 9092;
export const KAFKA_CONTROLLER_PORT = 9093;
export const REDIS_PORT = 6379;
export const S3_PORT = 9000;

export const endpoints = {
  kafka: { bootstrapBrokers: [`127.0.0.1:${KAFKA_PORT}`] },
  redis: { url: `redis://127.0.0.1:${REDIS_PORT}` },
  s3: {
    endpoint: `http://127.0.0.1:${S3_PORT}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'brook', secretAccessKey: 'brook-test-secret' },
  },
} as const;

/** The same endpoints as environment variables, in the names Brook's configuration and the AWS SDK read. */
export function endpointEnvironment(): Record<string, string> {
  return {
    KAFKA_BOOTSTRAP_SERVERS: endpoints.kafka.bootstrapBrokers.join(','),
    REDIS_URL: endpoints.redis.url,
    AWS_ENDPOINT_URL_S3: endpoints.s3.endpoint,
    AWS_REGION: endpoints.s3.region,
    AWS_ACCESS_KEY_ID: endpoints.s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: endpoints.s3.credentials.secretAccessKey,
  };
}
