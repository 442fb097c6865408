/**
 * `npm run --silent moto`: moto_server on a free loopback port with the service-credentials proxy
 * in front of it, as the tests start them (test/support/moto.ts with `serviceCredentials`), for a
 * person running the engine stand-in or the first-strike script by hand. moto lacks IAM's
 * service-specific credentials, which the program and the first strike list for every user: against
 * plain moto their listing fails. Test tooling, like the rest of emulators/: nothing in the product
 * imports it.
 *
 * Prints one line on stdout, the environment to point the AWS SDK and CLI at it
 * (`export AWS_ENDPOINT_URL=... AWS_REGION=... AWS_DEFAULT_REGION=... AWS_ACCESS_KEY_ID=...
 * AWS_SECRET_ACCESS_KEY=...`), then runs until SIGINT (Ctrl-C) or SIGTERM, and stops both. moto_server is found, or installed, as
 * for the tests (emulators/moto.ts). `--no-managed-policies` leaves AWS managed policies out (they
 * cost moto a few seconds to load).
 */
import { ensureMoto, spawnMotoServer } from "./moto.ts";
import { startServiceCredentialsProxy } from "./service-credentials.ts";

const USAGE = "usage: npm run --silent moto [-- --no-managed-policies]";

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== "--no-managed-policies");
  if (unknown.length > 0) {
    process.stderr.write(`moto: unexpected argument ${JSON.stringify(unknown[0])}\n${USAGE}\n`);
    return 2;
  }
  const moto = await spawnMotoServer(
    ensureMoto((line) => process.stderr.write(`${line}\n`)).command,
    !argv.includes("--no-managed-policies"),
  );
  const proxy = await startServiceCredentialsProxy(moto.endpoint);
  const settings = {
    AWS_ENDPOINT_URL: proxy.url,
    AWS_REGION: "us-east-1",
    // The AWS CLI v1 reads only this one.
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
  };
  process.stdout.write(
    `export ${Object.entries(settings)
      .map(([key, value]) => `${key}=${value}`)
      .join(" ")}\n`,
  );
  process.stderr.write(
    `moto: moto_server at ${moto.endpoint}, behind the service-credentials proxy at ${proxy.url}; Ctrl-C stops both\n`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await proxy.close();
  await moto.stop();
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
