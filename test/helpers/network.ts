import { createServer, type AddressInfo } from "node:net";
import { expect } from "vitest";

/** A port with nothing listening: grab one from the OS, then release it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The error a send rejects with, checked to be of the expected class. */
export async function rejectionOf<E extends Error>(
  send: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const error = await send.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as E;
}
