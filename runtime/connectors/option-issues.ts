// Connector options are validated by zod; this turns its issues into one line
// in which every bad option names its field.
import type { z } from 'zod';

/** `path: message` for every zod issue, joined with '; '. */
export function describeConfigIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(options)'}: ${issue.message}`)
    .join('; ');
}
