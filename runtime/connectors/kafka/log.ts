// The connector's logger: JSON events on stderr (stdout carries job output).
import { pino } from 'pino';

export const kafkaLog = pino(
  { name: 'brook.kafka', level: process.env.BROOK_LOG_LEVEL ?? 'info' },
  pino.destination(2),
);
