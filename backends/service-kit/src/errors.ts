import { STATUS_CODES } from 'node:http';
import { type Static, Type } from 'typebox';

/** The one error shape of every program: `{statusCode, error, message, code}`. */
export const ErrorShape = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String({ description: 'The HTTP reason phrase' }),
  message: Type.String({ description: 'What went wrong, for people' }),
  code: Type.String({ description: 'What went wrong, for programs: stable across releases' }),
});
export type ErrorShape = Static<typeof ErrorShape>;

export function errorBody(statusCode: number, code: string, message: string): ErrorShape {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, code };
}

/** An error whose status, code and message are meant for the client. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;

  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
  }
}
