import { describe, expect, it } from 'vitest';
import { redactTokens } from '../../core-wasm/redact-tokens.ts';

const jwt = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJVc2VySUQiOiJhbGljZSJ9.Zm9vYmFy-_x';

describe('redactTokens', () => {
  it.each([
    [`dial ws://im:10001?sendID=alice&token=${jwt}&platformID=5`, 'dial ws://im:10001?sendID=alice&token=<token>&platformID=5'],
    [`{"userID":"alice","token":"${jwt}"}`, '{"userID":"alice","token":"<token>"}'],
    [`{\\"token\\":\\"opaque-not-a-jwt\\"}`, '{\\"token\\":\\"<token>\\"}'],
    ['login token: opaque-123 ok', 'login token: <token> ok'],
    [`header ${jwt} sent`, 'header <token> sent'],
    ['no secrets here: tokens expire', 'no secrets here: tokens expire'],
  ])('%s', (line, expected) => {
    expect(redactTokens(line)).toBe(expected);
  });

  it('is linear on long hostile lines', () => {
    const t0 = performance.now();
    redactTokens('token='.repeat(200_000));
    redactTokens('eyJ.'.repeat(200_000));
    redactTokens(`"token"${' '.repeat(400_000)}`);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
