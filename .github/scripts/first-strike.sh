#!/usr/bin/env bash
# First strike: the contain workflow's first act after assuming its role, before any checkout of
# code that runs or any install. Disables the exposed access key with direct IAM calls (the AWS CLI
# the runner already has), then every other credential of its user that must not work: its other
# access keys, service-specific credentials (CodeCommit, Keyspaces, Bedrock API keys), SSH public
# keys and signing certificates. Each is set Inactive, never deleted; cordon never re-enables one.
#
# What it leaves alone: any credential whose id appears in a YAML file of the folder given
# (INCIDENTS_DIR: the contain workflow gives every YAML file of main, a superset of the folders the
# stacks read, which only cordon, not installed yet, can name): an incident may keep it by name,
# and `pulumi up` decides its fate from the file a moment later; the console password, whose
# deletion cannot be undone and is shown in the plan before pulumi up applies it; MFA devices. `pulumi up` then imports what this
# disabled, already Inactive, without a diff, and disables anything created in between. And every
# credential but the exposed key of a user that main's Pulumi.yaml names in
# cordon:protectedPrincipals (`user/NAME`): naming such a user needs a reviewer (guard --additive),
# so its break-glass credentials stay as they are until one decides. Without node or a YAML parser
# here, the file is searched as text for `user/NAME` (IAM compares names ignoring case; the name
# followed by anything but a name's character), anywhere in it: a mention elsewhere (a comment)
# leaves the user's other credentials to pulumi up too, the side this script errs on.
#
# Input, through the environment only (never an expression in the workflow):
#   ACCESS_KEY      the exposed key id, AKIA + 16 capital letters or digits (checked here again)
#   INCIDENTS_DIR   the incident files of main, or more (default: incidents)
#   PROJECT_FILE    main's Pulumi.yaml (default: Pulumi.yaml, when there is one); given and not
#                   readable, every user counts as protected
# Output: one line per credential set Inactive, then `user=`, `disabled=` and `left=` to
# $GITHUB_OUTPUT when it is set. Exit 0 when the key is Inactive; 1 when it could not be disabled
# (the workflow goes on: pulumi up contains it too); 2 on a usage error.
# The IAM actions it calls are declared in aws/credentials.ts (firstStrikePermissions); the tests
# run it with the AWS CLI against moto and check each call it sends.
set -uo pipefail
export AWS_PAGER=""
# --user-name=NAME, one word: IAM allows a name that starts with -, which the AWS CLI would take
# for an option when given as a word of its own.

fail() { echo "::error title=cordon first strike::$1" >&2; exit "${2:-1}"; }
# An AWS CLI error, on one line and short, for an annotation (a % would start an escape there).
# Its start says what failed (`An error occurred (Throttling) when calling ...`, `Unable to parse
# response ...`): the first 300 characters are kept, and a cut is marked.
said() {
  local text
  text="$(tr -s '\r\n' '  ' < "$1" | sed 's/^ *//; s/ *$//')"
  [ "${#text}" -gt 300 ] && text="${text:0:300}..."
  printf '%s' "${text//\%/%25}"
}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

key="${ACCESS_KEY:-}"
dir="${INCIDENTS_DIR:-incidents}"
# The same pattern as ACCESS_KEY_ID in incident/fields.ts. The value is never echoed: it may be a
# pasted secret.
if [[ "$key" =~ ^ASIA ]]; then
  fail "ACCESS_KEY is a temporary key (ASIA...): it cannot be disabled, and expires by itself" 2
fi
[[ "$key" =~ ^AKIA[A-Z0-9]{16}$ ]] || fail "ACCESS_KEY: expected an access key id, AKIA followed by 16 of A-Z and 0-9 (found ${#key} characters, not shown)" 2

# The key's user: UpdateAccessKey needs it.
if ! user="$(aws iam get-access-key-last-used --access-key-id "$key" --query UserName --output text 2>"$work/first.err")"; then
  fail "IAM did not say whose key $key is ($(said "$work/first.err")): pulumi up contains it from the incident file"
fi
# A root user's key cannot be disabled by IAM; any other answer that is not an IAM user name is refused.
[[ "$user" =~ ^[A-Za-z0-9+=,.@_-]{1,64}$ ]] && [ "$user" != "root" ] && [ "$user" != "None" ] ||
  fail "IAM names no IAM user as the owner of $key (a root user's key cannot be disabled by IAM): see docs/contain.md"

if ! aws iam update-access-key --user-name="$user" --access-key-id "$key" --status Inactive 2>"$work/first.err"; then
  fail "could not disable $key of user $user ($(said "$work/first.err")): pulumi up contains it from the incident file"
fi
echo "first strike: $key (user $user) Inactive at $(date -u +%Y-%m-%dT%H:%M:%SZ)"

# Whether main's Pulumi.yaml protects the user: `user/NAME`, any case, the name whole. The name
# passed the pattern above; of its characters only . and + mean something to grep -E.
protected() {
  local project="${PROJECT_FILE:-Pulumi.yaml}" name
  if [ ! -r "$project" ]; then [ -n "${PROJECT_FILE:-}" ]; return; fi
  name="$(printf '%s' "$1" | sed 's/[.+]/\\&/g')"
  LC_ALL=C grep -qiE -- "user/${name}([^A-Za-z0-9+=,.@_-]|\$)" "$project"
}
if protected "$user"; then
  echo "first strike: user $user is protected (cordon:protectedPrincipals of main's Pulumi.yaml names it, or it could not be read): only $key is set Inactive; its other credentials are left to pulumi up, once a reviewer decides"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    { echo "user=$user"; echo "disabled=1"; echo "left=0"; } >> "$GITHUB_OUTPUT"
  fi
  exit 0
fi

# Whether an incident file of main names the id: then pulumi up decides its fate (it may be kept).
named() { [ -d "$dir" ] && grep -rqFw --include='*.yaml' --include='*.yml' -- "$1" "$dir"; }

# The four listings at once: each AWS CLI call costs its start.
aws iam list-access-keys --user-name="$user" --query 'AccessKeyMetadata[?Status==`Active`].AccessKeyId' --output text > "$work/access-key" 2>"$work/access-key.err" &
aws iam list-service-specific-credentials --user-name="$user" --query 'ServiceSpecificCredentials[?Status==`Active`].ServiceSpecificCredentialId' --output text > "$work/service-specific-credential" 2>"$work/service-specific-credential.err" &
aws iam list-ssh-public-keys --user-name="$user" --query 'SSHPublicKeys[?Status==`Active`].SSHPublicKeyId' --output text > "$work/ssh-public-key" 2>"$work/ssh-public-key.err" &
aws iam list-signing-certificates --user-name="$user" --query 'Certificates[?Status==`Active`].CertificateId' --output text > "$work/signing-certificate" 2>"$work/signing-certificate.err" &
wait

declare -A pattern=(
  [access-key]='^AKIA[A-Z0-9]{16}$'
  [service-specific-credential]='^ACCA[A-Z0-9]{16,124}$'
  [ssh-public-key]='^APKA[A-Z0-9]{16,124}$'
  [signing-certificate]='^[A-Za-z0-9_]{24,128}$'
)
disabled=1
left=0
problems=0
n=0
# Each update at once too, each with its own result: an AWS CLI call costs its start, not IAM's time.
for kind in access-key service-specific-credential ssh-public-key signing-certificate; do
  if [ -s "$work/$kind.err" ]; then
    echo "::warning title=cordon first strike::could not list the ${kind}s of user $user ($(said "$work/$kind.err")): pulumi up lists them again"
    problems=$((problems + 1))
    continue
  fi
  for id in $(cat "$work/$kind"); do
    [ "$id" = "None" ] && continue
    [ "$id" = "$key" ] && continue
    if ! [[ "$id" =~ ${pattern[$kind]} ]]; then
      echo "::warning title=cordon first strike::IAM listed a $kind id of an unexpected shape for user $user: left to pulumi up"
      continue
    fi
    if named "$id"; then
      echo "first strike: $kind $id of user $user left as it is: an incident file names it (pulumi up decides, by its keep:)"
      left=$((left + 1))
      continue
    fi
    n=$((n + 1))
    echo "$kind $id" > "$work/update-$n"
    case "$kind" in
      access-key) aws iam update-access-key --user-name="$user" --access-key-id "$id" --status Inactive ;;
      service-specific-credential) aws iam update-service-specific-credential --user-name="$user" --service-specific-credential-id "$id" --status Inactive ;;
      ssh-public-key) aws iam update-ssh-public-key --user-name="$user" --ssh-public-key-id "$id" --status Inactive ;;
      signing-certificate) aws iam update-signing-certificate --user-name="$user" --certificate-id "$id" --status Inactive ;;
    esac > /dev/null 2>"$work/update-$n.err" &
  done
done
wait
for ((i = 1; i <= n; i++)); do
  read -r kind id < "$work/update-$i"
  if [ -s "$work/update-$i.err" ]; then
    echo "::warning title=cordon first strike::could not disable $kind $id of user $user ($(said "$work/update-$i.err")): pulumi up disables it"
    problems=$((problems + 1))
  else
    echo "first strike: $kind $id of user $user Inactive"
    disabled=$((disabled + 1))
  fi
done

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "user=$user"; echo "disabled=$disabled"; echo "left=$left"; } >> "$GITHUB_OUTPUT"
fi
echo "first strike: $disabled credentials of user $user Inactive, $left left to the incident files, $problems problems"
exit 0
