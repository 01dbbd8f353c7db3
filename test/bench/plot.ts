// Line charts as hand-written SVG (no plotting library), and a PNG copy when rsvg-convert is installed.
import { spawnSync } from "child_process";

export interface Series {
    name: string;
    color: string;
    dashed?: boolean;
    points: [number, number][];
}

export interface Chart {
    title: string;
    xLabel: string;
    yLabel: string;
    series: Series[];
}

const W = 460;
const H = 314;
const M = { left: 64, right: 16, top: 34, bottom: 84 };

/** Several charts side by side, `columns` per row, in one SVG document. */
export function svgCharts(title: string, charts: Chart[], columns = 2): string {
    const rows = Math.ceil(charts.length / columns);
    const width = W * Math.min(columns, charts.length);
    const height = H * rows + 30;
    const parts = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">`,
        `<rect width="100%" height="100%" fill="white"/>`,
        `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ];
    charts.forEach((c, i) => {
        const x = (i % columns) * W;
        const y = 30 + Math.floor(i / columns) * H;
        parts.push(`<g transform="translate(${x},${y})">${chart(c)}</g>`);
    });
    parts.push("</svg>");
    return parts.join("\n");
}

function chart(c: Chart): string {
    const pts = c.series.flatMap((s) => s.points);
    const xMax = niceMax(Math.max(...pts.map((p) => p[0]), 1));
    const yMax = niceMax(Math.max(...pts.map((p) => p[1]), 1e-9));
    const pw = W - M.left - M.right;
    const ph = H - M.top - M.bottom;
    const sx = (v: number) => M.left + (v / xMax) * pw;
    const sy = (v: number) => M.top + ph - (v / yMax) * ph;
    const out: string[] = [];
    out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="12" font-weight="bold">${esc(c.title)}</text>`);
    for (let k = 0; k <= 5; k++) {
        const yv = (yMax * k) / 5;
        const xv = (xMax * k) / 5;
        out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${sy(yv)}" y2="${sy(yv)}" stroke="#e4e4e4"/>`);
        out.push(`<text x="${M.left - 6}" y="${sy(yv) + 4}" text-anchor="end">${tick(yv)}</text>`);
        out.push(`<line x1="${sx(xv)}" x2="${sx(xv)}" y1="${M.top}" y2="${M.top + ph}" stroke="#f0f0f0"/>`);
        out.push(`<text x="${sx(xv)}" y="${M.top + ph + 16}" text-anchor="middle">${tick(xv)}</text>`);
    }
    out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
    out.push(`<text x="${M.left + pw / 2}" y="${M.top + ph + 34}" text-anchor="middle">${esc(c.xLabel)}</text>`);
    out.push(
        `<text transform="translate(14,${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(c.yLabel)}</text>`,
    );
    c.series.forEach((s, i) => {
        const p = [...s.points].sort((a, b) => a[0] - b[0]);
        const d = p.map((q, j) => `${j === 0 ? "M" : "L"}${sx(q[0]).toFixed(1)},${sy(q[1]).toFixed(1)}`).join(" ");
        out.push(
            `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,4"' : ""}/>`,
        );
        for (const q of p) {
            out.push(`<circle cx="${sx(q[0]).toFixed(1)}" cy="${sy(q[1]).toFixed(1)}" r="3" fill="${s.color}"/>`);
        }
        const lx = M.left + (i % 2) * (pw / 2);
        const ly = M.top + ph + 50 + Math.floor(i / 2) * 14;
        out.push(
            `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,4"' : ""}/>`,
        );
        out.push(`<text x="${lx + 22}" y="${ly}">${esc(s.name)}</text>`);
    });
    return out.join("\n");
}

function niceMax(v: number): number {
    const e = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
        if (m * e >= v) {
            return m * e;
        }
    }
    return 10 * e;
}

function tick(v: number): string {
    if (v === 0) {
        return "0";
    }
    return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(1);
}

function esc(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Writes a PNG next to an SVG with rsvg-convert (Debian: librsvg2-bin); returns the PNG path, or undefined when the tool is missing. */
export function toPng(svgPath: string): string | undefined {
    const png = svgPath.replace(/\.svg$/, ".png");
    const r = spawnSync("rsvg-convert", ["-f", "png", "-o", png, svgPath], { encoding: "utf8" });
    if (r.error || r.status !== 0) {
        return undefined;
    }
    return png;
}
