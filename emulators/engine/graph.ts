/**
 * The dependency graph of a state, as the engine reads it (pkg/resource/graph/dependency_graph.go
 * in pulumi/pulumi): the state's list is a topological order (a resource after its parent, its
 * provider and what it depends on), and a resource depends on its parent, its provider, its
 * `dependencies` and its `propertyDependencies`. The deletes are scheduled on it
 * (step_generator.go, ScheduleDeletes), a delete-before-replace finds on it what goes with the
 * resource (DependingOn), and `--continue-on-error` keeps on it what a failed step still needs
 * (TransitiveDependenciesOf).
 */
import type { StateResource } from "./state.ts";

/** The URN of a provider reference (`<URN>::<id>`). */
export function providerUrn(resource: StateResource): string | undefined {
  return resource.provider ? resource.provider.slice(0, resource.provider.lastIndexOf("::")) : undefined;
}

/** What a resource depends on besides its parent: its provider, `dependencies` and `propertyDependencies`. */
function dependencyUrns(resource: StateResource): Set<string> {
  const urns = new Set([...resource.dependencies, ...Object.values(resource.propertyDependencies).flat()]);
  const provider = providerUrn(resource);
  if (provider) urns.add(provider);
  urns.delete("");
  return urns;
}

/**
 * DependenciesOf: the resources before `resource` in the list that it depends on: its parent, its
 * provider, what it names, and the children already listed of a component it names.
 */
export function dependenciesOf(list: readonly StateResource[], resource: StateResource): Set<StateResource> {
  const at = list.indexOf(resource);
  const urns = dependencyUrns(resource);
  const found = new Set<StateResource>();
  for (const candidate of list.slice(0, at)) {
    if (candidate.urn === resource.parent) found.add(candidate);
    if (!urns.has(candidate.urn)) continue;
    found.add(candidate);
    if (!candidate.custom)
      for (const child of list.slice(0, at)) if (isDescendant(list, child, candidate.urn)) found.add(child);
  }
  return found;
}

function isDescendant(list: readonly StateResource[], resource: StateResource, ancestor: string): boolean {
  for (let parent = resource.parent; parent !== ""; ) {
    if (parent === ancestor) return true;
    parent = list.find((r) => r.urn === parent)?.parent ?? "";
  }
  return false;
}

/**
 * TransitiveDependenciesOf: every resource `resource` needs, directly or through others. Where a
 * URN is both a resource pending deletion and a live one, a resource pending deletion depends on
 * the one pending deletion, any other on the live one.
 */
export function transitiveDependenciesOf(list: readonly StateResource[], resource: StateResource): Set<StateResource> {
  const lookup = (from: StateResource, urn: string) => {
    const matches = list.filter((r) => r.urn === urn);
    return matches.find((r) => (r.delete === true) === (from.delete === true)) ?? matches[0];
  };
  const found = new Set<StateResource>();
  const pending = [resource];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const urn of [next.parent, ...dependencyUrns(next)]) {
      const dependency = urn ? lookup(next, urn) : undefined;
      if (dependency && !found.has(dependency)) {
        found.add(dependency);
        pending.push(dependency);
      }
    }
  }
  found.delete(resource);
  return found;
}

/**
 * DependingOn (children not counted): the resources after `resource` in the list that depend on it
 * through their provider, `dependencies` or `propertyDependencies`, directly or through others,
 * in the list's order; those whose URN `ignore` holds are left out, and nothing depends on them.
 */
export function dependingOn(
  list: readonly StateResource[],
  resource: StateResource,
  ignore: (urn: string) => boolean,
): StateResource[] {
  const reached = new Set([resource.urn]);
  const found: StateResource[] = [];
  for (const candidate of list.slice(list.indexOf(resource) + 1)) {
    if (ignore(candidate.urn)) continue;
    if (![...dependencyUrns(candidate)].some((urn) => reached.has(urn))) continue;
    found.push(candidate);
    reached.add(candidate.urn);
  }
  return found;
}

/**
 * ScheduleDeletes: the resources to delete in rounds, each round's deletes independent of each
 * other (they run at once), a resource only after everything that depends on it. Within a round,
 * the later a resource is listed, the earlier it comes (the engine's order there is a set's).
 */
export function scheduleDeletes(
  list: readonly StateResource[],
  condemned: readonly StateResource[],
): StateResource[][] {
  const left = new Set(condemned);
  const rounds: StateResource[][] = [];
  while (left.size > 0) {
    // Never empty: a resource depends only on resources listed before it, so the first one left depends on none left.
    const round = [...left].filter((r) => ![...dependenciesOf(list, r)].some((d) => left.has(d)));
    for (const r of round) left.delete(r);
    rounds.push(round.sort((a, b) => list.indexOf(b) - list.indexOf(a)));
  }
  return rounds.reverse();
}
