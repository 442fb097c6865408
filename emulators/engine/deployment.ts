/**
 * One preview or update of one stack, as the engine's deployment executor runs it
 * (pkg/resource/deploy in pulumi/pulumi: step_generator.go, step_executor.go, step.go,
 * deployment_executor.go, builtins.go): each registration the program sends becomes a step that is
 * decided from the old state and the goal, then applied through the provider rows; the answer goes
 * back to the program only once the step is done, which is what keeps a dependent after its
 * dependencies. Once the program has finished, what it no longer declares is deleted, dependents
 * first (graph.ts). What the engine does that this does not is listed in unmodeled.ts.
 */
import { randomUUID } from "node:crypto";
import type { AnalyzedResource, PolicyPack, Violation } from "./analyzer.ts";
import type { Cloud, InvokeRow, ResourceRow } from "./provider.ts";
import { awsCheckConfig, awsMessage } from "./provider.ts";
import { dependingOn, providerUrn, scheduleDeletes, transitiveDependenciesOf } from "./graph.ts";
import { UNKNOWN, sameValue, type Properties } from "./properties.ts";
import { readState, siblingStateFile, writeState, type StackState, type StateResource } from "./state.ts";

export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";
const STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference";
const PROVIDER_TYPE_PREFIX = "pulumi:providers:";
const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";
const READ_STACK_RESOURCE_OUTPUTS = "pulumi:pulumi:readStackResourceOutputs";

/** What the program asks for in one RegisterResource. */
export interface Goal {
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  inputs: Properties;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** `<provider URN>::<id>` of an explicit provider, "" for the default one. */
  provider: string;
  /** The provider package's version (names the default provider). */
  version: string;
  /** The `import` option. */
  importId: string;
  retainOnDelete: boolean;
  ignoreChanges: string[];
}

export type Op =
  | "same"
  | "create"
  | "update"
  | "replace"
  | "import"
  | "import-replacement"
  | "delete"
  | "delete-replaced"
  | "remove-pending-replace"
  | "read";

/** One line of the stand-in's output: a step. */
export interface StepLine {
  op: Op;
  type: string;
  name: string;
  /** Absent when the step succeeded. */
  result?: "failed" | "skipped";
  error?: string;
  /** A delete that only forgets the resource (`retainOnDelete`). */
  retained?: true;
}

export interface Registered {
  urn: string;
  id: string;
  outputs: Properties;
  /** "fail" and "skip" reach the program as a result other than SUCCESS: its outputs become unknown. */
  result: "success" | "fail" | "skip";
}

/** The monitor was shut down after a failed step (no `--continue-on-error`): the engine cancels the deployment. */
export class Cancelled extends Error {}

/** A step of a registration's chain failed, and said so: the registration fails with it. */
class StepFailed extends Error {}

export interface DeploymentOptions {
  project: string;
  stack: string;
  dryRun: boolean;
  continueOnError: boolean;
  /** How many deletes run at once (`--parallel`; the CLI's default is 16). */
  parallel: number;
  stateFile: string;
  cloud: Cloud;
  rows: Readonly<Record<string, ResourceRow>>;
  invokes: Readonly<Record<string, InvokeRow>>;
  emit(line: StepLine): void;
  /** A policy pack's diagnostic (`--policy-pack`), as it comes. */
  violation?(violation: Violation): void;
  /**
   * The stack's config by full key (`aws:region`): a default provider's inputs are its package's
   * keys, without the namespace.
   * @default {}
   */
  config?: Readonly<Record<string, string>>;
  /**
   * The environment the provider plugins run in (the CLI's): an AWS provider's CheckConfig takes
   * its region from AWS_REGION when the inputs have none.
   * @default {}
   */
  providerEnv?: Readonly<Record<string, string | undefined>>;
}

export class Deployment {
  private readonly old: StackState | undefined;
  /** The old resources by URN, those pending deletion left out (the engine's `olds`). */
  private readonly olds: Map<string, StateResource>;
  /** The new state, in the order the steps finished (a resource after what it depends on). */
  private readonly next = new Map<string, StateResource>();
  /** URNs registered in this run (a second registration of one is refused). */
  private readonly seen = new Set<string>();
  /** Resources whose step failed or was skipped: their dependents are skipped (`--continue-on-error`). */
  private readonly unsettled = new Set<string>();
  /** Old resources that leave the state: deleted, or superseded by a replacement after their delete. */
  private readonly done = new Set<StateResource>();
  /** URNs whose old resource a delete-before-replace deleted in this run (the engine's `deletes`). */
  private readonly deletedFirst = new Set<string>();
  /** The old state of each failed step: `--continue-on-error` deletes nothing they depend on. */
  private readonly erroredOlds: StateResource[] = [];
  private stackOutputs: Properties | undefined;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** Failed steps, as `URN: message`. */
  readonly failures: string[] = [];
  cancelled = false;
  private readonly options: DeploymentOptions;
  /** The policy packs (`--policy-pack`), started before the program, as the engine loads its analyzers. */
  private policyPacks: readonly PolicyPack[] = [];
  /** What each resource of this run was registered with (the engine's `goals`), for AnalyzeStack. */
  private readonly goals = new Map<string, Goal>();
  /** The default providers registered in this run, by URN: `<URN>::<id>` once registered. */
  private readonly defaultProviders = new Map<string, Promise<string>>();
  /** Mandatory violations in a preview: the preview goes on, to show them all, and fails at the end. */
  private mandatoryViolations = 0;

  constructor(options: DeploymentOptions) {
    this.options = options;
    this.old = readState(options.stateFile);
    this.olds = new Map((this.old?.resources ?? []).filter((r) => !r.delete).map((r) => [r.urn, r]));
  }

  /**
   * `--refresh`: before the program runs, each custom resource of the old state read back from the
   * cloud, as the engine's refresh steps do (`RefreshStep.Apply`, pkg/resource/deploy/step.go: the
   * provider's Read with the resource's id, inputs and state; components and providers unchanged): its outputs as the provider reads
   * them, and of its inputs those it already had, taken from what was read (the bridge's
   * ExtractInputsFromOutputs keeps only inputs already present). A resource the provider no longer
   * finds leaves the state, and the program's registration of it is then a create (or an import).
   * The diff that follows compares the program's inputs with these.
   */
  async refresh(): Promise<void> {
    const resources = this.old?.resources ?? [];
    for (const resource of [...resources]) {
      const row = this.options.rows[resource.type];
      if (!resource.custom || resource.id === undefined || row === undefined) continue;
      const read = await row.read(this.options.cloud, resource.id, resource.inputs);
      if (read === null) {
        resources.splice(resources.indexOf(resource), 1);
        if (this.olds.get(resource.urn) === resource) this.olds.delete(resource.urn);
        continue;
      }
      resource.outputs = read.outputs;
      resource.inputs = Object.fromEntries(
        Object.entries(resource.inputs).map(([key, value]) => [
          key,
          Object.hasOwn(read.outputs, key) ? read.outputs[key] : value,
        ]),
      );
    }
  }

  /** The engine's URN: the parent's qualified type (unless the parent is the stack) before the type. */
  urnOf(parent: string, type: string, name: string): string {
    const parentType = parent ? parent.split("::")[2] : "";
    const qualified = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${type}` : type;
    return `urn:pulumi:${this.options.stack}::${this.options.project}::${qualified}::${name}`;
  }

  /** Resolves once no registration, read or invoke is in flight (SignalAndWaitForShutdown). */
  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async tracked<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work();
    } finally {
      if (--this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  register(goal: Goal): Promise<Registered> {
    return this.tracked(() => this.registerNow(goal));
  }

  usePolicyPacks(packs: readonly PolicyPack[]): void {
    this.policyPacks = packs;
  }

  /**
   * Analyze, as the step generator calls it for every registration (components, providers and the
   * stack included) with the inputs after ignoreChanges and the provider's Check, before the step
   * (step_generator.go, continueStepsFromImport and analyzeAll; analyze_snapshot.go,
   * analyzeResource). A mandatory violation in a preview is shown and the preview goes on, to fail
   * at the end; in an update the resource is invalid: no step is taken for it and the deployment
   * stops there, whatever --continue-on-error says (the step generator's error, not a step's).
   */
  private async analyze(
    urn: string,
    goal: Goal,
    inputs: Properties,
    provider: string,
    kept?: StateResource,
  ): Promise<void> {
    if (this.policyPacks.length === 0) return;
    const resource: AnalyzedResource = {
      urn,
      type: goal.type,
      name: goal.name,
      properties: analyzed(inputs),
      ignoreChanges: goal.ignoreChanges,
      parent: goal.parent,
      dependencies: goal.dependencies,
      propertyDependencies: goal.propertyDependencies,
      provider: this.providerOf(provider),
    };
    let invalid = false;
    for (const pack of this.policyPacks) {
      for (const violation of await pack.analyze(resource)) {
        this.options.violation?.(violation);
        if (violation.level !== "mandatory" && violation.level !== "remediate") continue;
        if (this.options.dryRun) this.mandatoryViolations++;
        else invalid = true;
      }
    }
    if (!invalid) return;
    // The import step before it was applied; nothing else of this resource is.
    if (kept) this.next.set(urn, kept);
    this.failures.push(`${urn}: resource is invalid: a mandatory policy refused it, before any step of it was applied`);
    this.cancelled = true;
    throw new Cancelled(`resource ${urn} is invalid`);
  }

  private async analyzeStack(): Promise<void> {
    if (this.policyPacks.length === 0) return;
    const resources: AnalyzedResource[] = [...this.next.values()].map((state) => {
      const goal = this.goals.get(state.urn);
      return {
        urn: state.urn,
        type: state.type,
        name: state.urn.split("::").pop() ?? "",
        properties: analyzed(state.outputs),
        ignoreChanges: goal?.ignoreChanges ?? [],
        parent: state.parent,
        dependencies: state.dependencies,
        propertyDependencies: state.propertyDependencies,
        provider: state.provider ? this.providerOf(state.provider) : undefined,
      };
    });
    for (const pack of this.policyPacks) {
      for (const violation of await pack.analyzeStack(resources)) {
        this.options.violation?.(violation);
        // A stack policy cannot remediate: its remediate level counts as mandatory.
        if (violation.level === "mandatory" || violation.level === "remediate") this.mandatoryViolations++;
      }
    }
  }

  /** A provider reference (`<URN>::<id>`) as an analyzer sees the provider. */
  private providerOf(reference: string): AnalyzedResource["provider"] {
    const urn = reference.slice(0, reference.lastIndexOf("::"));
    const state = this.next.get(urn) ?? this.olds.get(urn);
    if (!state) return undefined;
    return { urn, type: state.type, name: urn.split("::").pop() ?? "", properties: state.inputs };
  }

  private async registerNow(goal: Goal): Promise<Registered> {
    const urn = this.urnOf(goal.parent, goal.type, goal.name);
    if (this.seen.has(urn)) throw new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`);
    this.seen.add(urn);
    if (this.cancelled) throw new Cancelled("the deployment was cancelled after a failed step");
    this.goals.set(urn, goal);
    const old = this.olds.get(urn);
    const line = { type: goal.type, name: goal.name };

    // --continue-on-error: a step whose resource depends on a failed or skipped one (its parent, a
    // dependsOn, or an input's resource) is skipped (deployment_executor.go, doesStepDependOn).
    const dependencies = [goal.parent, ...goal.dependencies, ...Object.values(goal.propertyDependencies).flat()].filter(
      (d) => d !== "",
    );
    if (dependencies.some((d) => this.unsettled.has(d))) {
      this.unsettled.add(urn);
      if (old) this.next.set(urn, old);
      this.options.emit({ op: this.plannedOp(goal, old), ...line, result: "skipped" });
      return { urn, id: old?.id ?? "", outputs: {}, result: "skip" };
    }

    if (!goal.custom) {
      await this.analyze(urn, goal, goal.inputs, "");
      return this.component(urn, goal, old);
    }
    if (goal.type.startsWith(PROVIDER_TYPE_PREFIX)) {
      const inputs = this.checkedProviderInputs(goal.type, goal.inputs, goal.version);
      await this.analyze(urn, goal, inputs, "");
      return this.providerResource(urn, goal, inputs, old);
    }

    let op: Op = this.plannedOp(goal, old);
    let imported: StateResource | undefined;
    try {
      const row = this.options.rows[goal.type];
      if (!row)
        throw new Error(
          `the engine stand-in does not model resource type ${goal.type} (add a row to emulators/engine/rows.ts)`,
        );
      const provider = goal.provider || (await this.defaultProvider(goal.type, goal.version));
      const entry = (id: string, inputs: Properties, outputs: Properties): StateResource => ({
        urn,
        type: goal.type,
        custom: true,
        id,
        parent: goal.parent,
        provider,
        inputs,
        outputs,
        dependencies: goal.dependencies,
        propertyDependencies: goal.propertyDependencies,
        ...(goal.importId ? { importId: goal.importId } : {}),
        retainOnDelete: goal.retainOnDelete,
      });
      const news = { ...(row.defaults ?? {}), ...goal.inputs };
      let base: StateResource | undefined = old;

      if (op === "import" || op === "import-replacement") {
        if (!row.import) throw new Error(`resource type ${goal.type} cannot be imported`);
        // The import reads the resource, in a preview too (step.go, ImportStep.Apply).
        const read = await row.import(this.options.cloud, goal.importId);
        if (!read) throw new Error(`resource '${goal.importId}' does not exist`);
        imported = entry(read.id, read.inputs, read.outputs);
        base = imported;
        // An import under another id than the state's replaces that resource: it is deleted with
        // the deletes, unless retained (step.go: the import marks it Delete).
        if (old) this.condemn(old);
        this.options.emit({ op, ...line });
      }

      if (!base) {
        op = "create";
        await this.analyze(urn, goal, news, provider);
        const created = this.options.dryRun
          ? { id: "", outputs: previewOutputs(row, news) }
          : await row.create(this.options.cloud, news);
        return this.settle(entry(created.id, news, created.outputs), op, line);
      }

      const goalInputs = ignoring(news, base.inputs, goal.ignoreChanges);
      await this.analyze(urn, goal, goalInputs, provider, imported);
      const changed = changedKeys(base.inputs, goalInputs, row);
      // Deleted by a delete-before-replace, its create still to come: a replacement, whatever the diff.
      const alreadyDeleted = base === old && this.deletedAlready(old);
      if (changed.length === 0 && !alreadyDeleted) {
        if (imported) return this.settle(entry(base.id ?? "", goalInputs, base.outputs), undefined, line);
        return this.settle(entry(base.id ?? "", goalInputs, base.outputs), "same", line);
      }
      if (alreadyDeleted || changed.some((key) => row.replaceOn.includes(key))) {
        op = "replace";
        const deleteFirst = deletesBeforeReplace(row, goalInputs);
        if (deleteFirst && old && !alreadyDeleted) await this.deleteBeforeReplace(old);
        const created = this.options.dryRun
          ? { id: "", outputs: previewOutputs(row, goalInputs) }
          : await row.create(this.options.cloud, goalInputs);
        // Created first, the old one is deleted with the deletes; deleted first, it leaves the state now.
        if (old && (deleteFirst || alreadyDeleted)) this.done.add(old);
        else if (old) this.condemn(old);
        return this.settle(entry(created.id, goalInputs, created.outputs), op, line);
      }
      op = "update";
      const outputs = this.options.dryRun
        ? { ...base.outputs, ...goalInputs }
        : await row.update(this.options.cloud, base.id ?? "", base.inputs, goalInputs, base.outputs);
      return this.settle(entry(base.id ?? "", goalInputs, outputs), op, line);
    } catch (error) {
      if (error instanceof Cancelled) throw error;
      const message = errorMessage(error);
      // A delete of the registration's chain said so itself.
      if (!(error instanceof StepFailed)) {
        this.options.emit({ op, ...line, result: "failed", error: message });
        this.failures.push(`${urn}: ${message}`);
        if (old) this.erroredOlds.push(old);
      }
      // The resource keeps what it had: its old state, or what the import found.
      const kept = imported ?? old;
      if (kept) this.next.set(urn, kept);
      if (!this.options.continueOnError) {
        this.cancelled = true;
        throw new Cancelled(message);
      }
      this.unsettled.add(urn);
      return { urn, id: kept?.id ?? "", outputs: {}, result: "fail" };
    }
  }

  private settle(state: StateResource, op: Op | undefined, line: { type: string; name: string }): Registered {
    this.next.set(state.urn, state);
    if (op) this.options.emit({ op, ...line });
    return { urn: state.urn, id: state.id ?? "", outputs: state.outputs, result: "success" };
  }

  /** The step the engine would take, decided without the provider (for a skipped step, and before applying). */
  private plannedOp(goal: Goal, old: StateResource | undefined): Op {
    if (goal.custom && goal.importId && (!old || (old.importId ?? old.id) !== goal.importId))
      return old ? "import-replacement" : "import";
    if (!old) return "create";
    if (!goal.custom) return "same";
    if (this.deletedAlready(old)) return "replace";
    const row = this.options.rows[goal.type];
    const news = ignoring({ ...(row?.defaults ?? {}), ...goal.inputs }, old.inputs, goal.ignoreChanges);
    const changed = changedKeys(old.inputs, news, row);
    if (changed.length === 0) return "same";
    return changed.some((key) => row?.replaceOn.includes(key)) ? "replace" : "update";
  }

  /** An old resource replaced: it stays in the state, pending its delete, until a delete of it succeeds. */
  private condemn(old: StateResource): void {
    old.delete = true;
  }

  /**
   * Whether this run took a step for the URN (the engine's isOperatedOn): registered it (a default
   * provider and a read included), or deleted it first for a replacement.
   */
  private operatedOn(urn: string): boolean {
    return this.seen.has(urn) || this.next.has(urn) || this.deletedFirst.has(urn);
  }

  /** Whether a delete-before-replace deleted `old` already (in this run, or in one whose create then failed). */
  private deletedAlready(old: StateResource): boolean {
    return old.pendingReplacement === true || this.deletedFirst.has(old.urn);
  }

  /**
   * A replacement that deletes first (step_generator.go, the delete-before-replace of
   * continueStepsFromDiff): first what would be replaced with it, dependents first (an old
   * resource that an input of it takes from this one, where that input forces a replacement:
   * calculateDependentReplacements), then the resource itself; each stays in the state marked as
   * deleted until its create (PendingReplacement). A delete that fails fails the registration.
   */
  private async deleteBeforeReplace(old: StateResource): Promise<void> {
    const list = this.old?.resources ?? [];
    const replacing = new Set([old.urn]);
    // What this run registered already cannot depend on what it registers now.
    const dependents = dependingOn(list, old, (urn) => this.operatedOn(urn)).filter((dependent) => {
      const row = this.options.rows[dependent.type];
      const replaced =
        dependent.custom &&
        !dependent.external &&
        ((providerUrn(dependent) !== undefined && replacing.has(providerUrn(dependent) ?? "")) ||
          Object.entries(dependent.propertyDependencies).some(
            ([key, urns]) => urns.some((urn) => replacing.has(urn)) && (row?.replaceOn.includes(key) ?? false),
          ));
      if (replaced) replacing.add(dependent.urn);
      return replaced;
    });
    for (const dependent of dependents.reverse()) {
      if (this.deletedFirst.has(dependent.urn) || this.done.has(dependent)) continue;
      if (dependent.delete) {
        await this.deleteInChain(dependent, "delete");
        this.done.add(dependent);
      } else {
        await this.deleteInChain(dependent, "delete-replaced");
        this.deletedFirst.add(dependent.urn);
      }
    }
    await this.deleteInChain(old, "delete-replaced");
    this.deletedFirst.add(old.urn);
  }

  /** A delete within a registration's chain: on failure, the chain stops there (StepFailed). */
  private async deleteInChain(resource: StateResource, op: "delete" | "delete-replaced"): Promise<void> {
    const line = await this.deleteStep(resource, op);
    this.options.emit(line);
    if (line.result === "failed") throw new StepFailed(line.error);
    if (op === "delete-replaced" && !this.options.dryRun) resource.pendingReplacement = true;
  }

  /**
   * One delete (step.go, DeleteStep.Apply): the provider's Delete, unless the resource is retained
   * (`retainOnDelete`: only forgotten), read rather than managed, a provider or a component; nothing
   * in a preview. A failure is recorded, and its line says so.
   */
  private async deleteStep(resource: StateResource, op: "delete" | "delete-replaced"): Promise<StepLine> {
    const line: StepLine = { op, type: resource.type, name: nameOf(resource) };
    if (resource.retainOnDelete) return { ...line, retained: true };
    const row = this.options.rows[resource.type];
    const managed = resource.custom && !resource.external && !resource.type.startsWith(PROVIDER_TYPE_PREFIX);
    try {
      if (managed && !row) throw new Error(`the engine stand-in does not model resource type ${resource.type}`);
      if (managed && !this.options.dryRun)
        await row.delete(this.options.cloud, resource.id ?? "", resource.inputs, resource.outputs);
      return line;
    } catch (error) {
      const message = errorMessage(error);
      this.failures.push(`${resource.urn}: ${message}`);
      this.erroredOlds.push(resource);
      return { ...line, result: "failed", error: message };
    }
  }

  /** A component: no provider, no diff; its outputs come with RegisterResourceOutputs. */
  private component(urn: string, goal: Goal, old: StateResource | undefined): Registered {
    this.next.set(urn, {
      urn,
      type: goal.type,
      custom: false,
      parent: goal.parent,
      inputs: goal.inputs,
      outputs: old?.outputs ?? {},
      dependencies: goal.dependencies,
      propertyDependencies: goal.propertyDependencies,
      retainOnDelete: goal.retainOnDelete,
    });
    this.options.emit({ op: old ? "same" : "create", type: goal.type, name: goal.name });
    // The engine hands a local component no outputs back (source_eval.go).
    return { urn, id: "", outputs: {}, result: "success" };
  }

  /** An explicit provider: configured, never called (the rows use the environment's credentials and region). */
  private providerResource(urn: string, goal: Goal, inputs: Properties, old: StateResource | undefined): Registered {
    const id = old?.id ?? randomUUID();
    const same = old !== undefined && changedKeys(old.inputs, inputs).length === 0;
    this.next.set(urn, {
      urn,
      type: goal.type,
      custom: true,
      id,
      parent: goal.parent,
      inputs,
      outputs: inputs,
      dependencies: goal.dependencies,
      propertyDependencies: goal.propertyDependencies,
      retainOnDelete: goal.retainOnDelete,
    });
    this.options.emit({ op: old ? (same ? "same" : "update") : "create", type: goal.type, name: goal.name });
    return { urn, id, outputs: inputs, result: "success" };
  }

  /** A provider's inputs as the engine keeps and analyzes them: its package's CheckConfig applied (AWS's only, here). */
  private checkedProviderInputs(type: string, inputs: Properties, version: string): Properties {
    const checked =
      type === `${PROVIDER_TYPE_PREFIX}aws` ? awsCheckConfig(inputs, this.options.providerEnv ?? {}) : inputs;
    return providerInputs(checked, version);
  }

  /** A package's config (`aws:region` as `region`), as the engine gives it to its default provider (target.go, GetPackageConfig). */
  private packageConfig(pkg: string): Properties {
    return Object.fromEntries(
      Object.entries(this.options.config ?? {})
        .filter(([key]) => key.startsWith(`${pkg}:`))
        .map(([key, value]) => [key.slice(pkg.length + 1), value]),
    );
  }

  /** The default provider of a type's package, registered once per run (`pulumi:providers:aws::default_7_48_0`). */
  private defaultProvider(type: string, version: string): Promise<string> {
    const pkg = type.split(":")[0];
    const name = version ? `default_${version.replace(/[.-]/g, "_")}` : "default";
    const urn = this.urnOf("", `${PROVIDER_TYPE_PREFIX}${pkg}`, name);
    // Registrations that need it at once wait for the one registration of it.
    let registered = this.defaultProviders.get(urn);
    if (!registered) {
      registered = this.registerDefaultProvider(urn, pkg, name, version);
      this.defaultProviders.set(urn, registered);
    }
    return registered;
  }

  private async registerDefaultProvider(urn: string, pkg: string, name: string, version: string): Promise<string> {
    const old = this.olds.get(urn);
    const id = old?.id ?? randomUUID();
    // The engine registers a default provider as the program would an explicit one, its inputs the
    // stack's config of its package (default_providers.go, newRegisterDefaultProviderEvent): analyzed too.
    const inputs = this.checkedProviderInputs(`${PROVIDER_TYPE_PREFIX}${pkg}`, this.packageConfig(pkg), version);
    const goal: Goal = {
      type: `${PROVIDER_TYPE_PREFIX}${pkg}`,
      name,
      custom: true,
      parent: "",
      inputs,
      dependencies: [],
      propertyDependencies: {},
      provider: "",
      version,
      importId: "",
      retainOnDelete: false,
      ignoreChanges: [],
    };
    this.goals.set(urn, goal);
    await this.analyze(urn, goal, goal.inputs, "");
    this.next.set(urn, {
      urn,
      type: `${PROVIDER_TYPE_PREFIX}${pkg}`,
      custom: true,
      id,
      parent: "",
      inputs,
      outputs: inputs,
      dependencies: [],
      propertyDependencies: {},
      retainOnDelete: false,
    });
    this.options.emit({ op: old ? "same" : "create", type: `${PROVIDER_TYPE_PREFIX}${pkg}`, name });
    return `${urn}::${id}`;
  }

  /** RegisterResourceOutputs: a component's outputs, or the stack's. */
  registerOutputs(urn: string, outputs: Properties): void {
    const entry = this.next.get(urn);
    if (entry?.type === ROOT_STACK_TYPE) this.stackOutputs = outputs;
    if (entry) entry.outputs = outputs;
  }

  /** ReadResource: only stack references are read (the engine's builtin provider). */
  read(type: string, name: string, parent: string, id: string): Promise<{ urn: string; properties: Properties }> {
    return this.tracked(async () => {
      const urn = this.urnOf(parent, type, name);
      if (type !== STACK_REFERENCE_TYPE)
        throw new Error(`the engine stand-in reads only ${STACK_REFERENCE_TYPE}, not ${type}`);
      const properties = this.readStackOutputs(id);
      this.next.set(urn, {
        urn,
        type,
        custom: true,
        id,
        parent,
        inputs: { name: id },
        outputs: properties,
        dependencies: [],
        propertyDependencies: {},
        retainOnDelete: false,
        external: true,
      });
      this.options.emit({ op: "read", type, name });
      return { urn, properties };
    });
  }

  /**
   * Invoke: the engine's own `pulumi:pulumi:readStackOutputs` and `readStackResourceOutputs`, or a
   * provider's data source.
   */
  invoke(token: string, args: Properties): Promise<Properties> {
    return this.tracked(async () => {
      if (token === READ_STACK_OUTPUTS) return this.readStackOutputs(String(args.name ?? ""));
      if (token === READ_STACK_RESOURCE_OUTPUTS) return this.readStackResourceOutputs(String(args.stackName ?? ""));
      const row = this.options.invokes[token];
      if (!row) throw new Error(`the engine stand-in does not answer invoke ${token}`);
      try {
        return await row(this.options.cloud, args);
      } catch (error) {
        throw new Error(awsMessage(error));
      }
    });
  }

  /**
   * Another stack's outputs from its last update (builtins.go, readStackReference): `org/project/stack`
   * or `stack`, read from its state file beside this stack's; an error when that stack does not exist.
   */
  private readStackOutputs(name: string): Properties {
    const stack = name.split("/").pop() ?? name;
    const state = readState(siblingStateFile(this.options.stateFile, stack));
    // The stack being updated exists (backend.go, GetStackOutputs): never updated, it has no outputs.
    if (!state && stack === this.options.stack) return { name, outputs: {}, secretOutputNames: [] };
    if (!state) throw new Error(`unknown stack "${name}"`);
    return { name, outputs: state.outputs, secretOutputNames: [] };
  }

  /**
   * Every resource's type and outputs from a stack's last checkpoint, by URN, but those pending
   * deletion (builtins.go, readStackResourceOutputs; backend.go, GetStackResourceOutputs). The
   * engine dereferences the checkpoint's snapshot unchecked: a stack never updated has none, and
   * the CLI would crash, so the stand-in refuses, loudly.
   */
  private readStackResourceOutputs(name: string): Properties {
    const stack = name.split("/").pop() ?? name;
    const state = readState(siblingStateFile(this.options.stateFile, stack));
    if (!state && stack === this.options.stack)
      throw new Error(`${READ_STACK_RESOURCE_OUTPUTS} of stack "${name}", never updated: the engine would crash`);
    if (!state) throw new Error(`unknown stack "${name}"`);
    const outputs: Properties = {};
    for (const resource of state.resources.filter((r) => !r.delete))
      outputs[resource.urn] = { type: resource.type, outputs: resource.outputs };
    return { name, outputs };
  }

  /**
   * After the program: when it succeeded, deletes what it no longer declares and the resources
   * replaced (now or in an earlier run); then, for an update, writes the state. A program that
   * failed deletes nothing. Returns whether the run succeeded.
   */
  async finish(programSucceeded: boolean): Promise<boolean> {
    if (programSucceeded && !this.cancelled) await this.deleteLeftovers();
    // AnalyzeStack once every step is done, deletes included, and only when none failed
    // (deployment_executor.go, Execute; step_generator.go, AnalyzeResources): the resources of
    // this run with their outputs. In an update, whatever it finds was already applied.
    if (programSucceeded && !this.cancelled && this.failures.length === 0) await this.analyzeStack();
    if (this.mandatoryViolations > 0) {
      const count =
        this.mandatoryViolations === 1
          ? "1 mandatory policy violation"
          : `${this.mandatoryViolations} mandatory policy violations`;
      this.failures.push(`${count}: the ${this.options.dryRun ? "preview" : "update"} fails`);
    }
    const succeeded = programSucceeded && this.failures.length === 0;
    if (!this.options.dryRun) {
      // An update that failed keeps the outputs it did not replace (step_executor.go: finalizing errored stack outputs).
      const outputs = succeeded
        ? (this.stackOutputs ?? {})
        : { ...(this.old?.outputs ?? {}), ...(this.stackOutputs ?? {}) };
      writeState(this.options.stateFile, {
        version: 1,
        project: this.options.project,
        stack: this.options.stack,
        outputs,
        resources: this.newState(),
      });
    }
    return succeeded;
  }

  /**
   * The deletes once the program is done (step_generator.go, GenerateDeletes and ScheduleDeletes;
   * deployment_executor.go, performPostSteps): every old resource the program did not register, and
   * every one pending deletion, in rounds over the dependency graph, dependents first; a round's
   * deletes run at once (`--parallel` at a time). Without `--continue-on-error` the first failure
   * stops them: what was not started is not. With it, no delete runs of a resource that a failed
   * step's resource (a registration's or a delete's) depends on, directly or not: it stays.
   */
  private async deleteLeftovers(): Promise<void> {
    const list = this.old?.resources ?? [];
    const condemned = new Map<StateResource, "delete" | "delete-replaced">();
    for (const resource of list) {
      if (this.done.has(resource)) continue;
      if (resource.delete) condemned.set(resource, "delete-replaced");
      else if (this.operatedOn(resource.urn)) continue;
      else if (resource.pendingReplacement) {
        // Deleted by a delete-before-replace whose create never came, and no longer declared.
        this.done.add(resource);
        this.options.emit({ op: "remove-pending-replace", type: resource.type, name: nameOf(resource) });
      } else condemned.set(resource, "delete");
    }
    for (const round of scheduleDeletes(list, [...condemned.keys()])) {
      const needed = new Set(this.erroredOlds.flatMap((failed) => [...transitiveDependenciesOf(list, failed)]));
      const lines = await this.inParallel(
        round.filter((resource) => !needed.has(resource)),
        async (resource) => {
          const line = await this.deleteStep(resource, condemned.get(resource) ?? "delete");
          if (line.result !== "failed") this.done.add(resource);
          else if (!this.options.continueOnError) this.cancelled = true;
          return line;
        },
      );
      for (const line of lines) this.options.emit(line);
      if (this.cancelled) break;
    }
  }

  /**
   * `work` on each item, `--parallel` at a time, in the items' order; once the deployment is
   * cancelled, no more start. The answers in the items' order (of those that started).
   */
  private async inParallel<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
    const answers: (R | undefined)[] = items.map(() => undefined);
    let next = 0;
    const worker = async () => {
      while (next < items.length && !this.cancelled) {
        const at = next++;
        answers[at] = await work(items[at]);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.parallel) }, worker));
    return answers.filter((answer): answer is R => answer !== undefined);
  }

  /**
   * The state to write (the snapshot manager's Snap, pkg/backend/snapshot.go): what this run
   * registered, in the order its steps finished, then every old resource still there, in its old
   * order: not reached, not deleted (failed or never tried), pending deletion, or deleted first
   * and not yet created again. Each is after its parent and what it depends on.
   */
  private newState(): StateResource[] {
    const registered = [...this.next.values()];
    const kept = (this.old?.resources ?? []).filter(
      (resource) =>
        !registered.includes(resource) &&
        !this.done.has(resource) &&
        (resource.delete === true || resource.pendingReplacement === true || !this.next.has(resource.urn)),
    );
    return [...registered, ...kept];
  }
}

/** A resource's name, the last part of its URN. */
function nameOf(resource: StateResource): string {
  return resource.urn.split("::").pop() ?? resource.urn;
}

/** A failure as the step's line gives it: the stand-in's own words, or the provider's for an AWS error. */
function errorMessage(error: unknown): string {
  return error instanceof Error && error.name === "Error" ? error.message : awsMessage(error);
}

/**
 * Whether the provider's Diff asks to delete the old resource before creating the new one: the
 * type asks so always, or its `name` is auto-named and the program set it (the bridge's
 * `len(replaces) > 0 && (DeleteBeforeReplace || nameRequiresDeleteBeforeReplace)`, provider.go).
 * The `deleteBeforeReplace` resource option, which overrides it, is not modelled.
 */
function deletesBeforeReplace(row: ResourceRow, inputs: Properties): boolean {
  return (
    row.deleteBeforeReplace === true || (row.autonamed === true && inputs.name !== undefined && inputs.name !== null)
  );
}

/**
 * A provider's inputs as the engine keeps them: the program's (or the config's) after the
 * provider's CheckConfig, with the package's version, which the engine adds beside an empty
 * `__internal` that holds its own settings (a plugin's download URL, environment variable
 * mappings: none here) apart from the provider's (providers/registry.go, SetProviderVersion;
 * source_eval.go). An analyzer sees them without `__internal` ({@link analyzed}).
 */
function providerInputs(inputs: Properties, version: string): Properties {
  return version ? { ...inputs, __internal: {}, version } : { ...inputs };
}

/**
 * Properties as the engine marshals them for an analyzer: without the engine's own keys, those
 * that start with `__` (plugin/analyzer_plugin.go, `SkipInternalKeys: true`; plugin/rpc.go and
 * resource/properties.go, IsInternalPropertyKey).
 */
function analyzed(properties: Properties): Properties {
  return Object.fromEntries(Object.entries(properties).filter(([key]) => !key.startsWith("__")));
}

/** Outputs of a resource a preview would create: its inputs, and unknown for what only the provider knows. */
function previewOutputs(row: ResourceRow, inputs: Properties): Properties {
  return {
    ...inputs,
    ...Object.fromEntries(row.computed.filter((key) => inputs[key] === undefined).map((key) => [key, UNKNOWN])),
  };
}

/** The goal's inputs with each `ignoreChanges` property taken from `base` (the old or imported state). */
function ignoring(news: Properties, base: Properties, ignoreChanges: readonly string[]): Properties {
  const result = { ...news };
  for (const key of ignoreChanges) {
    if (key in base) result[key] = base[key];
    else delete result[key];
  }
  return result;
}

/** Inputs whose value differs (a missing value and null are the same), or that the row's provider takes for different. */
function changedKeys(olds: Properties, news: Properties, row?: ResourceRow): string[] {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  const same = (key: string) =>
    row?.equivalent?.[key]?.(olds[key], news[key]) ?? sameValue(olds[key] ?? null, news[key] ?? null);
  return [...keys].filter((key) => !same(key)).sort();
}
