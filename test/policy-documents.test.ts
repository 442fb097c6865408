/**
 * One type for every policy document: what IAM returns is read into the same shape that cordon
 * writes, so the analyses never meet a single statement without a list.
 */
import { describe, expect, it } from "vitest";
import { parsePolicyText } from "../aws/iam.ts";

describe("live policy text", () => {
  const statement = { Effect: "Deny", NotAction: "iam:*", Resource: "*" };

  it.each([
    ["a list of statements", JSON.stringify({ Version: "2012-10-17", Statement: [statement] })],
    ["a single statement", JSON.stringify({ Version: "2012-10-17", Statement: statement })],
    [
      "URL-encoded, as IAM's API returns it",
      encodeURIComponent(JSON.stringify({ Version: "2012-10-17", Statement: statement })),
    ],
  ])("%s reads as a list of statements", (_, text) => {
    expect(parsePolicyText(text)).toEqual({ Version: "2012-10-17", Statement: [statement] });
  });

  it("refuses text that is not a policy document", () => {
    expect(() => parsePolicyText('{"Version":"2012-10-17"}')).toThrow("not an IAM policy document: no Statement");
  });
});
