/**
 * A state machine definition drawn as an SVG graph, like the Step Functions console: states
 * in layers from StartAt, transitions (Next, Choices, Default, Catch) as arrows, a Map's or
 * Parallel's inner states inside a dashed frame, and the path an execution took coloured.
 */
import type { StateStatus } from './history';

interface Node {
  id: string;
  name: string;
  type: string;
  layer: number;
  column: number;
  /** Frame (Map/Parallel) the node belongs to. */
  parent?: string;
  x: number;
  y: number;
}

interface Edge {
  from: string;
  to: string;
  kind: 'next' | 'choice' | 'catch' | 'inner';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const WIDTH = 210;
const HEIGHT = 56;
/** Characters per label line: names wrap at words, never cut. */
const LINE_CHARS = 30;

/** A state name in lines of at most LINE_CHARS at word breaks (a longer word gets a line of its own). */
export function wrapLabel(name: string, width = LINE_CHARS): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of name.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
const GAP_X = 40;
const GAP_Y = 46;

function collect(
  machine: Obj,
  prefix: string,
  parent: string | undefined,
  nodes: Map<string, Node>,
  edges: Edge[],
): { start: string; ends: string[] } {
  const states = (machine.States ?? {}) as Record<string, Obj>;
  const id = (name: string) => `${prefix}${name}`;
  const ends: string[] = [];
  for (const [name, state] of Object.entries(states)) {
    nodes.set(id(name), { id: id(name), name, type: String(state.Type), layer: 0, column: 0, ...(parent ? { parent } : {}), x: 0, y: 0 });
  }
  for (const [name, state] of Object.entries(states)) {
    if (typeof state.Next === 'string') edges.push({ from: id(name), to: id(state.Next), kind: 'next' });
    if (typeof state.Default === 'string') edges.push({ from: id(name), to: id(state.Default), kind: 'choice' });
    for (const choice of (state.Choices as Obj[] | undefined) ?? [])
      if (typeof choice.Next === 'string') edges.push({ from: id(name), to: id(choice.Next), kind: 'choice' });
    for (const c of (state.Catch as Obj[] | undefined) ?? [])
      if (typeof c.Next === 'string') edges.push({ from: id(name), to: id(c.Next), kind: 'catch' });
    if (state.End === true || state.Type === 'Succeed' || state.Type === 'Fail') ends.push(id(name));
    const inner = [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[]) ?? [])].filter(isObj);
    for (const [i, sub] of inner.entries()) {
      const nested = collect(sub, `${id(name)}/${inner.length > 1 ? `${i}/` : ''}`, id(name), nodes, edges);
      edges.push({ from: id(name), to: nested.start, kind: 'inner' });
    }
  }
  return { start: id(String(machine.StartAt)), ends };
}

function layout(definition: Obj): { nodes: Map<string, Node>; edges: Edge[]; width: number; height: number } {
  const nodes = new Map<string, Node>();
  const edges: Edge[] = [];
  const { start } = collect(definition, '', undefined, nodes, edges);
  // Longest-path layering, so states read top-down in the order they run: a state sits below
  // every state that leads to it, and what follows a Map or Parallel sits below its whole
  // frame. Relaxation stops after |nodes| rounds, so a definition with a loop still lays out.
  const layerOf = new Map<string, number>([[start, 0]]);
  const descendants = (id: string): string[] =>
    [...nodes.values()].filter((n) => n.parent === id).flatMap((n) => [n.id, ...descendants(n.id)]);
  const bottomOf = (id: string): number => Math.max(layerOf.get(id) ?? 0, ...descendants(id).map((d) => layerOf.get(d) ?? 0));
  for (let round = 0, changed = true; changed && round < nodes.size; round += 1) {
    changed = false;
    for (const edge of edges) {
      if (!layerOf.has(edge.from)) continue;
      const below = (edge.kind === 'inner' ? layerOf.get(edge.from)! : bottomOf(edge.from)) + 1;
      if ((layerOf.get(edge.to) ?? -1) < below) {
        layerOf.set(edge.to, below);
        changed = true;
      }
    }
  }
  let maxLayer = Math.max(0, ...layerOf.values());
  for (const node of nodes.values()) {
    if (!layerOf.has(node.id)) layerOf.set(node.id, ++maxLayer); // unreachable states go last
    node.layer = layerOf.get(node.id)!;
  }
  const byLayer = new Map<number, Node[]>();
  for (const node of nodes.values()) byLayer.set(node.layer, [...(byLayer.get(node.layer) ?? []), node]);
  const widest = Math.max(1, ...[...byLayer.values()].map((l) => l.length));
  const width = widest * (WIDTH + GAP_X) + GAP_X;
  // Top-down, each row ordered by where the states leading to it sit (barycentre), so edges
  // run short and do not cross boxes they do not belong to.
  for (const layer of [...byLayer.keys()].sort((a, b) => a - b)) {
    const list = byLayer.get(layer)!;
    const centre = (node: Node): number => {
      const from = edges
        .filter((e) => e.to === node.id)
        .map((e) => nodes.get(e.from)!)
        .filter((n) => n.layer < layer);
      return from.length ? from.reduce((sum, n) => sum + n.x, 0) / from.length : Number.POSITIVE_INFINITY;
    };
    const order = new Map(list.map((node, i) => [node, [centre(node), i] as const]));
    list.sort((a, b) => order.get(a)![0] - order.get(b)![0] || order.get(a)![1] - order.get(b)![1]);
    const rowWidth = list.length * (WIDTH + GAP_X) - GAP_X;
    list.forEach((node, i) => {
      node.column = i;
      node.x = (width - rowWidth) / 2 + i * (WIDTH + GAP_X);
      node.y = GAP_Y / 2 + layer * (HEIGHT + GAP_Y);
    });
  }
  const height = (Math.max(...[...nodes.values()].map((n) => n.layer)) + 1) * (HEIGHT + GAP_Y);
  return { nodes, edges, width, height };
}

const FILL: Record<StateStatus | 'NONE', string> = {
  SUCCEEDED: '#d4f4dd',
  FAILED: '#fbd5d5',
  CAUGHT: '#fdebc8',
  RUNNING: '#d6e8fb',
  CANCELLED: '#e5e5e5',
  NONE: '#ffffff',
};
const STROKE: Record<StateStatus | 'NONE', string> = {
  SUCCEEDED: '#1d8b3a',
  FAILED: '#c22c2c',
  CAUGHT: '#b7791f',
  RUNNING: '#2b6cb0',
  CANCELLED: '#777777',
  NONE: '#9aa5b1',
};

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function labelLines(node: Node): string[] {
  const lines = wrapLabel(node.name);
  const size = lines.length > 2 ? 10 : 12;
  const top = node.y + (lines.length > 2 ? 13 : lines.length === 2 ? 17 : 24);
  return [
    `<text x="${node.x + WIDTH / 2}" y="${top}" text-anchor="middle" font-weight="600" font-size="${size}">${lines.map((l, i) => `<tspan x="${node.x + WIDTH / 2}" dy="${i === 0 ? 0 : size + 2}">${escape(l)}</tspan>`).join('')}</text>`,
  ];
}

/**
 * `statusOf(name)` gives the status of a state in the execution (by state name; a Map's
 * inner states share their names across iterations: the last status wins).
 */
export function renderGraphSvg(definitionJson: string, statusOf: (name: string) => StateStatus | undefined, path: string[] = []): string {
  const definition = JSON.parse(definitionJson) as Obj;
  const { nodes, edges, width, height } = layout(definition);
  const taken = new Set<string>();
  for (let i = 1; i < path.length; i++) taken.add(`${path[i - 1]}→${path[i]}`);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
  );
  parts.push(
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#6b7785"/></marker>',
  );
  parts.push(
    '<marker id="arrow-taken" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#1d8b3a"/></marker></defs>',
  );
  // Frames around the inner states of Map / Parallel states.
  const frames = new Map<string, Node[]>();
  for (const node of nodes.values()) if (node.parent) frames.set(node.parent, [...(frames.get(node.parent) ?? []), node]);
  for (const [parent, members] of frames) {
    const x0 = Math.min(...members.map((n) => n.x)) - 14;
    const y0 = Math.min(...members.map((n) => n.y)) - 18;
    const x1 = Math.max(...members.map((n) => n.x)) + WIDTH + 14;
    const y1 = Math.max(...members.map((n) => n.y)) + HEIGHT + 10;
    parts.push(
      `<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" rx="8" fill="none" stroke="#9aa5b1" stroke-dasharray="5 4"/>`,
    );
    parts.push(`<text x="${x0 + 8}" y="${y0 + 12}" fill="#6b7785" font-size="10">${escape(nodes.get(parent)!.name)} (each item)</text>`);
  }
  for (const edge of edges) {
    const a = nodes.get(edge.from);
    const b = nodes.get(edge.to);
    if (!a || !b) continue;
    const isTaken = taken.has(`${a.name}→${b.name}`);
    const x1 = a.x + WIDTH / 2;
    const y1 = a.y + HEIGHT;
    const x2 = b.x + WIDTH / 2;
    const y2 = b.y;
    const back = y2 <= y1;
    const d = back
      ? `M ${a.x + WIDTH} ${a.y + HEIGHT / 2} C ${a.x + WIDTH + 60} ${a.y + HEIGHT / 2}, ${b.x + WIDTH + 60} ${b.y + HEIGHT / 2}, ${b.x + WIDTH} ${b.y + HEIGHT / 2}`
      : `M ${x1} ${y1} C ${x1} ${(y1 + y2) / 2}, ${x2} ${(y1 + y2) / 2}, ${x2} ${y2}`;
    const stroke = isTaken ? '#1d8b3a' : edge.kind === 'catch' ? '#c98a8a' : '#9aa5b1';
    const dash = edge.kind === 'catch' ? ' stroke-dasharray="4 3"' : '';
    parts.push(
      `<path d="${d}" fill="none" stroke="${stroke}" stroke-width="${isTaken ? 2.5 : 1.2}"${dash} marker-end="url(#${isTaken ? 'arrow-taken' : 'arrow'})"/>`,
    );
  }
  for (const node of nodes.values()) {
    const status = statusOf(node.name) ?? 'NONE';
    parts.push(
      `<g data-state="${escape(node.name)}" data-status="${status}"><title>${escape(node.name)} (${escape(node.type)}): ${status === 'NONE' ? 'not reached' : status}</title>`,
      `<rect x="${node.x}" y="${node.y}" width="${WIDTH}" height="${HEIGHT}" rx="6" fill="${FILL[status]}" stroke="${STROKE[status]}" stroke-width="${status === 'NONE' ? 1 : 2}"/>`,
      ...labelLines(node),
      `<text x="${node.x + WIDTH / 2}" y="${node.y + HEIGHT - 7}" text-anchor="middle" fill="#6b7785" font-size="10">${escape(node.type)}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}
