import { Errors } from '../lib/errors.ts';
import { type BackendTimeouts, callDeadline, createPool, discardBody } from './http.ts';

/** Lookups are short; more connections than this would only queue at user_api itself. */
const USER_API_CONNECTIONS = 32;

/** The internal user service: is an id registered, register an id. */
export interface UserApi {
  /** True for a registered user, false for an unknown one; throws 503 when user_api fails. */
  userExists(id: number): Promise<boolean>;
  /** Registers the id; throws 409 when taken and 503 when user_api fails. */
  createUser(id: number): Promise<void>;
  /** Resolves when user_api answers its health check. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function createUserApi(baseUrl: string, timeouts: BackendTimeouts): UserApi {
  const pool = createPool(baseUrl, timeouts, USER_API_CONNECTIONS);
  async function call(method: 'GET' | 'POST', path: string, body?: unknown) {
    try {
      const response = await pool.request({
        method,
        path,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
        signal: callDeadline(timeouts),
      });
      await discardBody(response.body);
      return response.statusCode;
    } catch (cause) {
      throw new Errors.userApiUnavailable({ cause });
    }
  }

  function unexpected(statusCode: number): Error {
    return new Errors.userApiUnavailable({ cause: new Error(`user_api answered ${statusCode}`) });
  }

  return {
    async userExists(id) {
      const status = await call('GET', `/user/${id}`);
      if (status === 200) return true;
      if (status === 404) return false;
      throw unexpected(status);
    },
    async createUser(id) {
      const status = await call('POST', '/user', { id });
      if (status === 201 || status === 200) return;
      if (status === 409) throw new Errors.userExists(id);
      throw unexpected(status);
    },
    async ping() {
      const status = await call('GET', '/health');
      if (status !== 200) throw unexpected(status);
    },
    close: () => pool.close(),
  };
}
