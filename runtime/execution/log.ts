// The runtime's logger for task execution: JSON events on stderr (stdout carries job output).
import { pino } from 'pino';

export const executionLog = pino(
  { name: 'brook.execution', level: process.env.BROOK_LOG_LEVEL ?? 'info' },
  pino.destination(2),
);
