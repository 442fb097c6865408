/**
 * A repository set up as docs/setup.md says, as files, for `doctor`'s tests and the sample in
 * docs/setup.md; or broken in the workflows as `broken` says.
 */
import { stringify } from "yaml";

export const ACCOUNT = "123456789012";

/** A job using `secrets`, in `environment` (none when null). */
function job(environment: string | null, secrets: string[]) {
  return {
    "runs-on": "ubuntu-latest",
    ...(environment ? { environment } : {}),
    steps: [{ run: "true", env: Object.fromEntries(secrets.map((s) => [s, `\${{ secrets.${s} }}`])) }],
  };
}

/** What the broken repository changes in the workflows. */
export interface Breakage {
  applyProject?: string;
  applyUpEnvironment?: string | null;
  previewProject?: string;
  previewSecrets?: string[];
}

/** The files of a repository set up as docs/setup.md says (or broken as `broken` says). */
export function correctFiles(broken: Breakage = {}): Record<string, string> {
  const env = { PULUMI_PROJECT: "acme/cordon" };
  return {
    "Pulumi.yaml": "name: cordon\nruntime: nodejs\n",
    "Pulumi.prod-123456789012.yaml": 'config:\n  cordon:account: "123456789012"\n',
    "Pulumi.prod-999999999999.yaml":
      'config:\n  cordon:account: "999999999999"\n  cordon:organization:\n    targets: [r-abcd]\n    managementAccount: "999999999999"\n',
    ".github/CODEOWNERS": "* @acme/security\n/incidents/ @acme/security\n",
    ".github/workflows/apply.yml": stringify({
      name: "apply",
      on: { push: {} },
      env: { PULUMI_PROJECT: broken.applyProject ?? env.PULUMI_PROJECT },
      jobs: {
        up: job(broken.applyUpEnvironment === undefined ? "cordon-apply" : broken.applyUpEnvironment, [
          "PULUMI_ACCESS_TOKEN",
          "CORDON_AWS_ROLE_ARN_TEMPLATE",
          "GITHUB_TOKEN",
        ]),
        "propose-removals": job("cordon-apply", ["PULUMI_READ_ACCESS_TOKEN", "CORDON_PR_TOKEN"]),
      },
    }),
    ".github/workflows/incident-pull-request.yml": stringify({
      name: "pr",
      on: { pull_request: {} },
      env: { PULUMI_PROJECT: broken.previewProject ?? env.PULUMI_PROJECT },
      jobs: {
        preview: job(
          null,
          broken.previewSecrets ?? ["PULUMI_READ_ACCESS_TOKEN", "CORDON_AWS_PREVIEW_ROLE_ARN_TEMPLATE"],
        ),
      },
    }),
    ".github/workflows/contain.yml": stringify({
      name: "contain",
      on: { workflow_dispatch: {} },
      env,
      jobs: {
        contain: job("cordon-contain", ["CORDON_CONTAIN_TOKEN", "CORDON_AWS_CONTAIN_ROLE_ARN_TEMPLATE"]),
        up: job("cordon-apply", ["PULUMI_ACCESS_TOKEN", "CORDON_AWS_ROLE_ARN_TEMPLATE"]),
        report: job("cordon-contain", ["CORDON_AWS_VERIFY_ROLE_ARN"]),
      },
    }),
    "incidents/2026-11-28-ci-key.yaml": stringify({
      id: "2026-11-28-ci-key",
      title: "CI key",
      account: ACCOUNT,
      cutoff: "2026-11-28T10:00:00Z",
      users: [{ name: "ci-deployer", accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }],
      organization: { scp: true },
    }),
  };
}
