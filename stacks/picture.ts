// Pictures of a plan: a hand-laid SVG (hosts as boxes, bridges as bands with their subnets,
// containers inside, links, routes and opened paths as arrows) and a Mermaid flowchart. Pure:
// text in, text out; no browser and no layout engine needed.
import { HostPlan, PlannedContainer, StackPlan } from "./plan";

/** The plan as an SVG document. */
export function renderSvg(plan: StackPlan): string {
    const hosts = plan.hosts.map((h) => layoutHost(plan, h));
    const routeLabel = (h: HostPlan, r: HostPlan["routes"][number]) => `${h.name}: ${r.subnet} via ${r.via}`;
    const gaps = hosts.slice(1).map((_, i) => {
        const labels = [plan.hosts[i], plan.hosts[i + 1]].flatMap((h) =>
            h.routes.map((r) => textWidth(routeLabel(h, r))),
        );
        return labels.length > 0 ? Math.max(...labels) + 50 : 40;
    });
    let x = MARGIN;
    const top = MARGIN + 34;
    hosts.forEach((hb, i) => {
        place(hb, x, top);
        x += hb.w + (gaps[i] ?? 0);
    });
    const bottom = Math.max(top, ...hosts.map((hb) => hb.y + hb.h));
    const parts: string[] = [];
    parts.push(text(MARGIN, MARGIN + 14, `dockernet plan · stack ${plan.stack}`, { size: 16, weight: "bold" }));
    parts.push(
        text(
            MARGIN,
            MARGIN + 28,
            `${plan.hosts.length} host(s) · from ${baseName(plan.configFile)} · addresses Docker assigns are known only after up`,
            { size: 11, fill: "#555" },
        ),
    );
    for (const hb of hosts) {
        parts.push(drawHost(hb));
    }
    // Routes: from the host that routes to the subnet that lives on the peer.
    let below = bottom + 20;
    const pairs = new Map<string, number>();
    hosts.forEach((hb, i) => {
        for (const r of hb.host.routes) {
            const j = hosts.findIndex((o) => o.host.name === r.peer);
            const label = routeLabel(hb.host, r);
            if (j < 0) {
                parts.push(
                    text(hb.x + 12, hb.y + hb.h + 16, `route ${label} (peer not in this stack)`, {
                        size: 11,
                        fill: ROUTE,
                    }),
                );
                continue;
            }
            const a = hb.bands[0];
            const b = hosts[j].bands[0];
            const key = [Math.min(i, j), Math.max(i, j)].join("-");
            const k = pairs.get(key) ?? 0;
            pairs.set(key, k + 1);
            if (Math.abs(i - j) === 1) {
                const y = a.y + a.h / 2 + (k % 2 === 0 ? -12 : 12) * Math.ceil((k + 1) / 2);
                const [x1, x2] = j > i ? [a.x + a.w, b.x] : [a.x, b.x + b.w];
                parts.push(
                    `<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" stroke="${ROUTE}" stroke-width="2.5" marker-end="url(#route)"/>`,
                );
                parts.push(labelText((x1 + x2) / 2, k % 2 === 0 ? y - 6 : y + 14, label, ROUTE));
            } else {
                // Not neighbours: a curve under the boxes, its lowest point `low`, label beneath.
                const low = below + 24;
                below += 34;
                const x1 = hb.x + hb.w / 2 + (j > i ? 16 : -16);
                const x2 = hosts[j].x + hosts[j].w / 2 + (j > i ? -16 : 16);
                const [y1, y2] = [hb.y + hb.h, hosts[j].y + hosts[j].h];
                const c = (low - 0.125 * (y1 + y2)) / 0.75;
                parts.push(
                    `<path d="M ${x1} ${y1} C ${x1} ${round(c)}, ${x2} ${round(c)}, ${x2} ${y2}" fill="none" stroke="${ROUTE}" stroke-width="2.5" marker-end="url(#route)"/>`,
                );
                parts.push(labelText((x1 + x2) / 2, low + 14, label, ROUTE));
            }
        }
    });
    below += 24;
    const shown = legend(MARGIN, below, {
        link: plan.links.length > 0,
        route: plan.hosts.some((h) => h.routes.length > 0),
        open: plan.hosts.some((h) => h.openings.length > 0),
        netns: plan.hosts.some((h) => h.containers.some((c) => c.sharesNetnsOf)),
        check: plan.checks.length > 0,
    });
    const width = Math.max(...hosts.map((hb) => hb.x + hb.w), MARGIN + 820) + MARGIN;
    const height = below + shown.rows * 20 + MARGIN;
    return [
        `<?xml version="1.0" encoding="UTF-8"?>`,
        `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(height)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace">`,
        `<title>dockernet plan, stack ${esc(plan.stack)}</title>`,
        `<defs>`,
        marker("link", LINK),
        marker("route", ROUTE),
        marker("open", OPEN),
        `<marker id="open-start" viewBox="0 0 10 10" refX="1" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M 10 0 L 0 5 L 10 10 z" fill="${OPEN}"/></marker>`,
        `</defs>`,
        `<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>`,
        ...parts,
        shown.svg,
        `</svg>`,
        "",
    ].join("\n");
}

/** The plan as a Mermaid flowchart (paste into any Mermaid renderer). */
export function renderMermaid(plan: StackPlan): string {
    const out: string[] = ["flowchart LR"];
    const id = (...parts: string[]) => parts.map((p) => p.replace(/[^A-Za-z0-9]/g, "_")).join("__");
    // Mermaid entity codes, so `<id>` or `->` in a label is text, not markup.
    const entity = (s: string) => s.replace(/"/g, "#34;").replace(/</g, "#60;").replace(/>/g, "#62;");
    const q = (s: string) => `"${entity(s)}"`;
    const lines = (l: string[]) => `"${l.map(entity).join("<br/>")}"`;
    const edges: string[] = [];
    for (const h of plan.hosts) {
        const bands = bandsOf(plan, h);
        out.push(`    subgraph ${id("host", h.name)}[${q(`${h.name} · ${h.endpoint}`)}]`);
        out.push("        direction TB");
        for (const b of bands) {
            out.push(`        subgraph ${id("net", h.name, b.key)}[${q(b.title.join(" · "))}]`);
            if (b.containers.length === 0) {
                out.push(
                    `            ${id("empty", h.name, b.key)}[${q("(containers attached here are drawn in their first network)")}]`,
                );
            }
            for (const c of b.containers) {
                out.push(`            ${id("c", h.name, c.name)}[${lines(containerLines(c, b.key))}]`);
            }
            out.push("        end");
        }
        out.push("    end");
        for (const b of bands) {
            for (const c of b.containers) {
                for (const nw of c.networks.filter((x) => x.name !== b.key)) {
                    edges.push(
                        `    ${id("c", h.name, c.name)} -.-|${q(`also on${nw.aliases.length ? `, alias ${nw.aliases.join(", ")}` : ""}`)}| ${id("net", h.name, nw.name)}`,
                    );
                }
                if (c.sharesNetnsOf) {
                    edges.push(
                        `    ${id("c", h.name, c.name)} ===|${q("shares netns")}| ${id("c", h.name, c.sharesNetnsOf)}`,
                    );
                }
            }
        }
        for (const o of h.openings) {
            const key = (bridge: string) => bands.find((b) => b.bridge === bridge)?.key ?? bridge;
            edges.push(
                `    ${id("net", h.name, key(o.a))} <-.->|${q(`opened (${o.chain})`)}| ${id("net", h.name, key(o.b))}`,
            );
        }
        for (const r of h.routes) {
            if (r.peer) {
                edges.push(
                    `    ${id("net", h.name, "docker0")} ==>|${q(`route ${r.subnet} via ${r.via}`)}| ${id("net", r.peer, "docker0")}`,
                );
            }
        }
    }
    for (const l of plan.links) {
        edges.push(
            `    ${id("c", l.host, l.consumer)} -->|${q(l.mode === "hosts" ? `${l.alias} (/etc/hosts)` : `${l.alias} (DNS)`)}| ${id("c", l.host, l.target)}`,
        );
    }
    // Checks: a dotted arrow that must get through, or a crossed one that must not.
    for (const c of plan.checks) {
        const alias = plan.links.find((l) => l.host === c.host && l.alias === c.to);
        const target = c.toContainerOn
            ? id("c", c.toContainerOn, c.to)
            : alias
              ? id("c", c.host, alias.target)
              : id("addr", c.to);
        if (!c.toContainerOn && !alias) {
            edges.push(`    ${target}([${q(c.to)}])`);
        }
        const label = q(`check ${c.name}${c.port ? ` :${c.port}` : ""}: ${c.expect}`);
        edges.push(
            c.expect === "isolated"
                ? `    ${id("c", c.host, c.from)} --x|${label}| ${target}`
                : `    ${id("c", c.host, c.from)} -.->|${label}| ${target}`,
        );
    }
    return [...out, ...edges, ""].join("\n");
}

// ---- layout ----

const MARGIN = 20;
const PAD = 12;
const LINE = 14;
const CHAR = 6.7; // DejaVu Sans Mono at 11px
const LINK = "#b03a2e";
const ROUTE = "#1f5fbf";
const OPEN = "#2e7d32";
const CHECK = "#8e24aa";
const NETNS = "#8a8a8a";
const FILLS: { [kind: string]: string } = {
    docker0: "#e6f0fb",
    bridge: "#e8f6e8",
    link: "#fff4dc",
    host: "#f2e8fb",
    none: "#eeeeee",
};

interface Box {
    x: number;
    y: number;
    w: number;
    h: number;
}

interface ContainerBox extends Box {
    c: PlannedContainer;
    lines: string[];
}

interface Band extends Box {
    key: string;
    kind: string;
    /** The Linux bridge, for openings. */
    bridge?: string;
    title: string[];
    /** Containers drawn elsewhere that are attached here too. */
    note?: string;
    containers: PlannedContainer[];
    boxes: ContainerBox[];
    gaps: number[];
}

interface HostBox extends Box {
    host: HostPlan;
    links: StackPlan["links"];
    /** Room on the left for opened paths between bridges. */
    gutter: number;
    header: string[];
    footer: string[];
    bands: Band[];
}

/** Which band (network) each container is drawn in: its first network, or its mode's band. */
function bandsOf(plan: StackPlan, h: HostPlan): Band[] {
    const bands: Band[] = [];
    const band = (key: string, kind: string, title: string[], bridge?: string) => {
        const b: Band = { key, kind, title, bridge, containers: [], boxes: [], gaps: [], x: 0, y: 0, w: 0, h: 0 };
        bands.push(b);
        return b;
    };
    band(
        "docker0",
        "docker0",
        h.bip
            ? ["docker0", h.docker0Subnet ?? "?", `bip ${h.bip}`]
            : ["docker0", "Docker's default bridge (bip unchanged)"],
        "docker0",
    );
    for (const n of h.networks) {
        const link = n.component?.startsWith("LinkedContainerPair/");
        band(
            n.name,
            link ? "link" : "bridge",
            [
                n.name,
                n.driver === "overlay" ? "swarm overlay (across hosts)" : `bridge ${n.bridgeName ?? "br-<id>"}`,
                n.subnet ?? "subnet: Docker picks",
                ...(n.gateway ? [`gw ${n.gateway}`] : []),
                ...(n.internal ? ["internal"] : []),
            ],
            n.bridgeName,
        );
    }
    const primaries = new Map<string, string>();
    for (const c of h.containers) {
        if (c.sharesNetnsOf) {
            primaries.set(c.name, c.sharesNetnsOf);
        }
    }
    const bandOf = (c: PlannedContainer): Band => {
        if (c.sharesNetnsOf) {
            const p = h.containers.find((x) => x.name === c.sharesNetnsOf);
            if (p) {
                return bandOf(p);
            }
        }
        const first = c.networks[0]?.name;
        const found = first !== undefined ? bands.find((b) => b.key === first) : undefined;
        if (found) {
            return found;
        }
        if (c.networkMode === "host") {
            return (
                bands.find((b) => b.key === "(host)") ??
                band("(host)", "host", ["host network", "the host's own interfaces"])
            );
        }
        if (c.networkMode === "none") {
            return bands.find((b) => b.key === "(none)") ?? band("(none)", "none", ["no network", "loopback only"]);
        }
        return bands[0];
    };
    for (const c of h.containers) {
        bandOf(c).containers.push(c);
    }
    // Keep what is drawn together adjacent: a link's consumer then its target, a primary then its sidecars.
    for (const b of bands) {
        const order: PlannedContainer[] = [];
        const add = (c: PlannedContainer | undefined) => {
            if (c && b.containers.includes(c) && !order.includes(c)) {
                order.push(c);
                for (const side of b.containers.filter((x) => x.sharesNetnsOf === c.name)) {
                    add(side);
                }
            }
        };
        for (const c of b.containers) {
            const asConsumer = plan.links.find((l) => l.host === h.name && l.consumer === c.name);
            const asTarget = plan.links.find((l) => l.host === h.name && l.target === c.name);
            if (asConsumer) {
                add(c);
                add(b.containers.find((x) => x.name === asConsumer.target));
            } else if (asTarget) {
                add(b.containers.find((x) => x.name === asTarget.consumer));
                add(c);
            } else {
                add(c);
            }
        }
        b.containers = order;
    }
    return bands;
}

function containerLines(c: PlannedContainer, bandKey: string): string[] {
    const lines = [c.name, c.image];
    const onBand = c.networks.find((n) => n.name === bandKey);
    if (c.sharesNetnsOf) {
        lines.push(`netns of ${c.sharesNetnsOf}`);
    } else if (c.networkMode === "host") {
        lines.push("ip: the host's");
    } else if (c.networkMode === "none") {
        lines.push("ip: none");
    } else {
        lines.push(`ip: ${onBand?.ipv4Address ?? c.networks[0]?.ipv4Address ?? "assigned at up"}`);
    }
    if (onBand && onBand.aliases.length > 0) {
        lines.push(`alias ${onBand.aliases.join(", ")}`);
    }
    for (const n of c.networks.filter((x) => x.name !== bandKey)) {
        lines.push(`+ ${n.name}${n.aliases.length ? ` (alias ${n.aliases.join(", ")})` : ""}`);
    }
    for (const p of c.published) {
        lines.push(`publish ${p.replace(/^0\.0\.0\.0:/, "")}`);
    }
    if (c.listens.length > 0) {
        lines.push(`listens ${c.listens.join(" ")}`);
    }
    return lines;
}

function layoutHost(plan: StackPlan, h: HostPlan): HostBox {
    const bands = bandsOf(plan, h);
    const header = [h.name, h.endpoint];
    const footer: string[] = [];
    for (const o of h.openings) {
        footer.push(`opened ${o.a} <-> ${o.b} (${o.chain})`);
    }
    for (const r of h.routes) {
        footer.push(`route ${r.subnet} via ${r.via}${r.peer ? ` (${r.peer})` : ""}`);
    }
    for (const f of h.firewallRules) {
        const [kind, ...w] = f.rule.split(",");
        const any = (v: string | undefined) => (v === undefined || v === "-" ? "any" : v);
        footer.push(
            kind === "accept"
                ? `firewall ${f.chain}: accept ${any(w[2])} -> ${any(w[3])}${w[0] !== "-" || w[1] !== "-" ? ` (${any(w[0])} -> ${any(w[1])})` : ""}`
                : `firewall ${f.chain}: no masquerade ${any(w[0])} -> ${any(w[1])}`,
        );
    }
    for (const c of plan.checks.filter((x) => x.host === h.name)) {
        footer.push(
            `check ${c.name}: ${c.from} -> ${c.to}${c.toContainerOn && c.toContainerOn !== h.name ? ` (on ${c.toContainerOn})` : ""}${c.port ? `:${c.port}` : ""} must be ${c.expect}`,
        );
    }
    const counts = new Map<string, number>();
    for (const s of h.scripts) {
        counts.set(s.script, (counts.get(s.script) ?? 0) + 1);
    }
    if (counts.size > 0) {
        footer.push(`host scripts: ${[...counts].map(([s, k]) => `${s}.sh${k > 1 ? ` x${k}` : ""}`).join(", ")}`);
    }
    for (const b of bands) {
        b.boxes = b.containers.map((c) => {
            const lines = containerLines(c, b.key);
            return {
                c,
                lines,
                x: 0,
                y: 0,
                w: Math.max(110, Math.max(...lines.map(textWidth)) + 2 * 8),
                h: lines.length * LINE + 10,
            };
        });
        b.gaps = b.boxes.slice(1).map((box, i) => {
            const prev = b.boxes[i];
            const link = plan.links.find(
                (l) =>
                    l.host === h.name &&
                    [l.consumer, l.target].includes(prev.c.name) &&
                    [l.consumer, l.target].includes(box.c.name),
            );
            if (link) {
                return Math.max(60, textWidth(linkLabel(link)) + 24);
            }
            return box.c.sharesNetnsOf === prev.c.name || prev.c.sharesNetnsOf === box.c.name ? 56 : 22;
        });
        const members = h.containers.filter(
            (c) => !b.containers.includes(c) && c.networks.some((n) => n.name === b.key),
        );
        b.note = members.length > 0 ? `also attached: ${members.map((c) => c.name).join(", ")}` : undefined;
        const inner = b.boxes.reduce((s, box) => s + box.w, 0) + b.gaps.reduce((s, g) => s + g, 0);
        b.w = Math.max(inner, textWidth(b.title.join(" · ")) + 10, b.note ? textWidth(b.note) : 0, 160) + 2 * PAD;
        b.h =
            LINE + 14 + (b.boxes.length > 0 ? Math.max(...b.boxes.map((box) => box.h)) + PAD : 6) + (b.note ? LINE : 0);
    }
    const gutter = h.openings.length > 0 ? 14 + 12 * h.openings.length : 0;
    const inner = Math.max(...bands.map((b) => b.w), textWidth(header[1]), ...footer.map(textWidth), 200);
    for (const b of bands) {
        b.w = inner;
    }
    const height = 14 + 2 * LINE + 10 + bands.reduce((s, b) => s + b.h + 12, 0) + footer.length * LINE + 10;
    return {
        host: h,
        links: plan.links.filter((l) => l.host === h.name),
        gutter,
        header,
        footer,
        bands,
        x: 0,
        y: 0,
        w: inner + 2 * PAD + gutter,
        h: height,
    };
}

function place(hb: HostBox, x: number, y: number): void {
    hb.x = x;
    hb.y = y;
    let by = y + 14 + 2 * LINE + 10;
    for (const b of hb.bands) {
        b.x = x + PAD + hb.gutter;
        b.y = by;
        let cx = b.x + PAD;
        b.boxes.forEach((box, i) => {
            box.x = cx;
            box.y = b.y + LINE + 14;
            cx += box.w + (b.gaps[i] ?? 0);
        });
        by += b.h + 12;
    }
}

function drawHost(hb: HostBox): string {
    const out: string[] = [];
    out.push(`<g class="host" id="host-${esc(hb.host.name)}">`);
    out.push(
        `<rect x="${hb.x}" y="${hb.y}" width="${hb.w}" height="${hb.h}" rx="8" fill="#fbfbfb" stroke="#444" stroke-width="1.5"/>`,
    );
    out.push(text(hb.x + PAD, hb.y + 20, hb.header[0], { size: 14, weight: "bold" }));
    out.push(text(hb.x + PAD, hb.y + 20 + LINE + 2, hb.header[1], { size: 11, fill: "#555" }));
    const all = hb.bands.flatMap((b) => b.boxes);
    for (const b of hb.bands) {
        out.push(`<g class="network" id="net-${esc(hb.host.name)}-${esc(b.key)}">`);
        out.push(
            `<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="5" fill="${FILLS[b.kind]}" stroke="#9aa" stroke-width="1"/>`,
        );
        out.push(
            text(b.x + PAD, b.y + LINE + 2, b.title[0], { size: 12, weight: "bold" }) +
                text(b.x + PAD + (textWidth(b.title[0]) * 12) / 11 + 8, b.y + LINE + 2, b.title.slice(1).join(" · "), {
                    size: 11,
                    fill: "#333",
                }),
        );
        if (b.note) {
            out.push(text(b.x + PAD, b.y + b.h - 8, b.note, { size: 11, fill: "#555" }));
        }
        for (const box of b.boxes) {
            out.push(`<g class="container" id="c-${esc(hb.host.name)}-${esc(box.c.name)}">`);
            out.push(
                `<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" rx="4" fill="#ffffff" stroke="#333" stroke-width="1"/>`,
            );
            box.lines.forEach((l, i) =>
                out.push(
                    text(
                        box.x + 8,
                        box.y + 15 + i * LINE,
                        l,
                        i === 0 ? { size: 11, weight: "bold" } : { size: 11, fill: "#333" },
                    ),
                ),
            );
            out.push(`</g>`);
        }
        out.push(`</g>`);
    }
    // Shared namespaces: a thick grey bar between a sidecar and its primary.
    for (const box of all) {
        const p = box.c.sharesNetnsOf ? all.find((x) => x.c.name === box.c.sharesNetnsOf) : undefined;
        if (p) {
            const [a, b] = edgePoints(p, box);
            out.push(`<line x1="${a[0]}" y1="${a[1]}" x2="${b[0]}" y2="${b[1]}" stroke="${NETNS}" stroke-width="5"/>`);
            out.push(labelText((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 - 6, "netns", NETNS));
        }
    }
    // Links: consumer -> target, labelled with the name the consumer uses.
    for (const l of linksOf(hb)) {
        const [a, b] = edgePoints(l.from, l.to);
        out.push(
            `<line x1="${a[0]}" y1="${a[1]}" x2="${b[0]}" y2="${b[1]}" stroke="${LINK}" stroke-width="1.8" marker-end="url(#link)"/>`,
        );
        out.push(labelText((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 - 6, l.label, LINK));
    }
    // Opened paths between bridges: dashed, both ways, in the gutter on the left.
    hb.host.openings.forEach((o, i) => {
        const gx = hb.x + PAD + 4 + 12 * i;
        const ends = [o.a, o.b].map((bridge) => hb.bands.find((b) => b.bridge === bridge));
        const [ya, yb] = ends.map((b, k) => (b ? b.y + b.h / 2 + 6 * i : hb.y + hb.h - 20 - 12 * k));
        const [xa, xb] = ends.map((b) => (b ? b.x - 2 : gx + 40));
        out.push(
            `<path d="M ${xa} ${ya} L ${gx} ${ya} L ${gx} ${yb} L ${xb} ${yb}" fill="none" stroke="${OPEN}" stroke-width="2" stroke-dasharray="6 4" marker-start="url(#open-start)" marker-end="url(#open)"/>`,
        );
        ends.forEach((b, k) => {
            if (!b) {
                // A bridge this stack does not declare (another stack's, say): name it at the line's end.
                out.push(text(gx + 44, (k === 0 ? ya : yb) + 4, [o.a, o.b][k], { size: 11, fill: OPEN }));
            }
        });
    });
    const fy = hb.bands.length > 0 ? hb.bands[hb.bands.length - 1].y + hb.bands[hb.bands.length - 1].h + 12 : hb.y + 50;
    hb.footer.forEach((f, i) =>
        out.push(
            text(hb.x + PAD, fy + 10 + i * LINE, f, {
                size: 11,
                fill: f.startsWith("route")
                    ? ROUTE
                    : f.startsWith("opened")
                      ? OPEN
                      : f.startsWith("check")
                        ? CHECK
                        : "#444",
            }),
        ),
    );
    out.push(`</g>`);
    return out.join("\n");
}

function linksOf(hb: HostBox): { from: ContainerBox; to: ContainerBox; label: string }[] {
    const boxes = hb.bands.flatMap((b) => b.boxes);
    return hb.links.flatMap((l) => {
        const from = boxes.find((x) => x.c.name === l.consumer);
        const to = boxes.find((x) => x.c.name === l.target);
        return from && to ? [{ from, to, label: linkLabel(l) }] : [];
    });
}

function linkLabel(l: StackPlan["links"][number]): string {
    return l.mode === "hosts" ? `${l.alias} (/etc/hosts)` : `${l.alias} (DNS)`;
}

/**
 * The two ends of a line between boxes: level, between facing sides, when the boxes share a
 * row; otherwise where the line between their centres leaves each box.
 */
function edgePoints(a: Box, b: Box): [[number, number], [number, number]] {
    const top = Math.max(a.y, b.y);
    const bottom = Math.min(a.y + a.h, b.y + b.h);
    if (bottom - top > 10) {
        const y = top + Math.min(28, (bottom - top) / 2);
        return a.x < b.x
            ? [
                  [a.x + a.w, y],
                  [b.x, y],
              ]
            : [
                  [a.x, y],
                  [b.x + b.w, y],
              ];
    }
    const ca: [number, number] = [a.x + a.w / 2, a.y + a.h / 2];
    const cb: [number, number] = [b.x + b.w / 2, b.y + b.h / 2];
    const exit = (box: Box, from: [number, number], to: [number, number]): [number, number] => {
        const dx = to[0] - from[0];
        const dy = to[1] - from[1];
        const tx = dx === 0 ? Infinity : box.w / 2 / Math.abs(dx);
        const ty = dy === 0 ? Infinity : box.h / 2 / Math.abs(dy);
        const t = Math.min(tx, ty);
        return [from[0] + dx * t, from[1] + dy * t];
    };
    return [exit(a, ca, cb), exit(b, cb, ca)];
}

function legend(
    x: number,
    y: number,
    present: { link: boolean; route: boolean; open: boolean; netns: boolean; check: boolean },
): { svg: string; rows: number } {
    const items: [boolean, string, string][] = [
        [
            present.link,
            `<line x1="0" y1="0" x2="34" y2="0" stroke="${LINK}" stroke-width="1.8" marker-end="url(#link)"/>`,
            "link: consumer -> target, labelled with the name it uses",
        ],
        [
            present.route,
            `<line x1="0" y1="0" x2="34" y2="0" stroke="${ROUTE}" stroke-width="2.5" marker-end="url(#route)"/>`,
            "static route: container subnet via the peer's LAN address",
        ],
        [
            present.open,
            `<line x1="0" y1="0" x2="34" y2="0" stroke="${OPEN}" stroke-width="2" stroke-dasharray="6 4"/>`,
            "opened path between bridges (ACCEPT from DOCKER-USER)",
        ],
        [
            present.netns,
            `<line x1="0" y1="0" x2="34" y2="0" stroke="${NETNS}" stroke-width="5"/>`,
            "shared network namespace (container:<id>)",
        ],
        [
            present.check,
            `<text x="0" y="4" font-size="11" fill="${CHECK}">check</text>`,
            "a probe at deployment: from -> to must be reachable (or isolated), or up fails",
        ],
    ];
    const shown = items.filter(([p]) => p);
    const svg = shown
        .map(([, sample, label], i) => {
            const ix = x + (i % 2) * 440;
            const iy = y + Math.floor(i / 2) * 20;
            return (
                `<g transform="translate(${ix} ${iy})">${sample}</g>` +
                text(ix + 44, iy + 4, label, { size: 11, fill: "#333" })
            );
        })
        .join("\n");
    return { svg, rows: Math.ceil(shown.length / 2) };
}

function marker(id: string, color: string): string {
    return `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="${color}"/></marker>`;
}

function text(x: number, y: number, s: string, o: { size: number; weight?: string; fill?: string }): string {
    return `<text x="${round(x)}" y="${round(y)}" font-size="${o.size}"${o.weight ? ` font-weight="${o.weight}"` : ""} fill="${o.fill ?? "#111"}">${esc(s)}</text>`;
}

/** A label on a line: centred, on a white background so lines do not run through it. */
function labelText(x: number, y: number, s: string, color: string): string {
    const w = textWidth(s) + 6;
    return (
        `<rect x="${round(x - w / 2)}" y="${round(y - 11)}" width="${round(w)}" height="14" fill="#ffffff" fill-opacity="0.9"/>` +
        `<text x="${round(x)}" y="${round(y)}" font-size="11" fill="${color}" text-anchor="middle">${esc(s)}</text>`
    );
}

function textWidth(s: string): number {
    return s.length * CHAR;
}

function round(n: number): number {
    return Math.round(n * 10) / 10;
}

function esc(s: string): string {
    return s
        .replace(/&/g, "&amp;")
        .replace(/</g, "&lt;")
        .replace(/>/g, "&gt;")
        .replace(/"/g, "&quot;")
        .replace(/'/g, "&apos;");
}

function baseName(file: string): string {
    return file.split(/[\\/]/).pop() ?? file;
}
