// An HTTP error answer of the REST API, as Flink gives them: a status code and
// `{"errors": ["..."]}`.
import { BrookError } from '../../errors.ts';

const codes: Record<number, string> = {
  400: 'BROOK_REST_BAD_REQUEST',
  404: 'BROOK_REST_NOT_FOUND',
  405: 'BROOK_REST_METHOD_NOT_ALLOWED',
  409: 'BROOK_REST_CONFLICT',
  413: 'BROOK_REST_BODY_TOO_LARGE',
  415: 'BROOK_REST_UNSUPPORTED_MEDIA_TYPE',
  500: 'BROOK_REST_INTERNAL',
};

export class RestError extends BrookError {
  constructor(
    readonly status: number,
    message: string,
    /** Response headers that go with it, e.g. `Allow` on a 405. */
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(codes[status] ?? 'BROOK_REST_ERROR', message, options);
  }
}

/** The body of an error answer. */
export function errorBody(...messages: string[]): { errors: string[] } {
  return { errors: messages };
}
