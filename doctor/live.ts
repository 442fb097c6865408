/**
 * What `doctor` reads of one account (aws/doctor.ts answers it with the SDK; the tests with moto).
 */
import type { PolicyDocument } from "../plan/policies.ts";

export interface LiveOidcProvider {
  arn: string;
  /** As IAM returns it: the issuer without `https://`. */
  url: string;
  clientIds: string[];
  thumbprints: string[];
  tags: Record<string, string>;
}

export interface LiveRole {
  name: string;
  path: string;
  description: string;
  maxSessionDuration: number;
  trust: PolicyDocument;
  /** Inline policies by name. */
  inline: Record<string, PolicyDocument>;
  /** ARNs of the attached managed policies, sorted. */
  attached: string[];
}

export interface LiveRoot {
  id: string;
  /** The policy types enabled on this root, sorted. */
  enabled: string[];
}

/** A queue, and how many messages wait in it. */
export interface LiveQueue {
  url: string;
  /**
   * SQS's ApproximateNumberOfMessages: the messages available to receive, an approximate count
   * that settles about a minute after messages stop arriving.
   */
  messages: number;
}

export interface LiveSetup {
  /** The account of the credentials in use. */
  account(): Promise<string>;
  oidcProvider(arn: string): Promise<LiveOidcProvider | null>;
  role(name: string): Promise<LiveRole | null>;
  /** The organization's roots (only the management account or a delegated administrator may ask). */
  roots(): Promise<LiveRoot[]>;
  /**
   * The queue `name` of `region` in this account and how many messages wait in it, read without
   * receiving any (a received message is hidden from everyone else for a while); null when there
   * is no such queue.
   */
  queue(region: string, name: string): Promise<LiveQueue | null>;
}
