import Link from "next/link";
import type { ReactNode } from "react";
import s from "./dashboard.module.css";

export type Bar = {
  key: string;
  /** Under the bar (shown every `labelEvery` bars). */
  axisLabel: string;
  value: number;
  /** Tooltip and table row, e.g. "Tue 12 Mar: 3 breaches". */
  title: string;
  tone?: "danger" | "warn";
};

type Props = {
  bars: Bar[];
  /** One sentence for screen readers: what the chart shows and its headline numbers. */
  summary: string;
  /** The same data as a table, for exact numbers and assistive technology. */
  table: { caption: string; head: string[]; rows: ReactNode[][] };
  labelEvery?: number;
  /** Count label positions from the last bar (so "today" is always labelled) rather than the first. */
  labelFromEnd?: boolean;
  testId?: string;
  legend?: ReactNode;
};

/** Rounds a maximum up to 1, 2, 5 × 10ⁿ (small counts stay as they are) and returns the tick values. */
function ticks(max: number): number[] {
  if (max <= 4) return Array.from({ length: Math.max(1, max) + 1 }, (_, i) => i);
  const pow = 10 ** Math.floor(Math.log10(max));
  const top = [1, 2, 5, 10].map((m) => m * pow).find((v) => v >= max) ?? 10 * pow;
  const step = top / 4;
  return [0, step, 2 * step, 3 * step, top].filter((v) => Number.isInteger(v) || v === top);
}

/**
 * A vertical bar chart as inline SVG. The SVG stretches to its box (preserveAspectRatio="none")
 * and carries only shapes; numbers and axis labels are HTML placed by percentage, so text stays
 * readable from a phone to a wide screen. The chart is one image with a summary for screen
 * readers, followed by the same data as a table.
 */
export function BarChart({ bars, summary, table, labelEvery = 1, labelFromEnd = false, testId, legend }: Props) {
  const n = bars.length;
  const t = ticks(Math.max(0, ...bars.map((b) => b.value)));
  const top = t[t.length - 1] || 1;
  const pct = (v: number) => (v / top) * 100;
  return (
    <figure className={`${s.figure} ${n > 14 ? s.dense : ""}`} data-testid={testId}>
      <div className={s.plotArea}>
        <div className={s.yAxis} aria-hidden="true">
          {t.map((v) => (
            <span key={v} className={s.yTick} style={{ bottom: `${pct(v)}%` }}>
              {v}
            </span>
          ))}
        </div>
        <div className={s.plot}>
          <svg
            className={s.svg}
            viewBox={`0 0 ${n * 10} 100`}
            preserveAspectRatio="none"
            role="img"
            aria-label={summary}
          >
            {t.slice(1).map((v) => (
              <line
                key={v}
                className={s.gridLine}
                x1={0}
                x2={n * 10}
                y1={100 - pct(v)}
                y2={100 - pct(v)}
                vectorEffect="non-scaling-stroke"
              />
            ))}
            {bars.map((b, i) =>
              b.value > 0 ? (
                <rect
                  key={b.key}
                  className={b.tone === "danger" ? s.barDanger : b.tone === "warn" ? s.barWarn : s.bar}
                  x={i * 10 + 1.5}
                  width={7}
                  y={100 - pct(b.value)}
                  height={pct(b.value)}
                  data-testid="bar"
                  data-value={b.value}
                >
                  <title>{b.title}</title>
                </rect>
              ) : null,
            )}
          </svg>
          {bars.map((b, i) =>
            b.value > 0 ? (
              <span
                key={b.key}
                className={s.valueLabel}
                style={{ left: `${((i + 0.5) / n) * 100}%`, bottom: `${pct(b.value)}%` }}
                aria-hidden="true"
              >
                {b.value}
              </span>
            ) : null,
          )}
        </div>
      </div>
      <ol className={s.xAxis} style={{ gridTemplateColumns: `repeat(${n}, minmax(0, 1fr))` }} aria-hidden="true">
        {bars.map((b, i) => {
          const pos = labelFromEnd ? n - 1 - i : i;
          // Half of the labels give way on a phone.
          return (
            <li key={b.key} className={`${s.xLabel} ${pos % (labelEvery * 2) === 0 ? "" : s.xLabelMinor}`}>
              {pos % labelEvery === 0 ? <span>{b.axisLabel}</span> : null}
            </li>
          );
        })}
      </ol>
      {legend}
      <details className={s.details}>
        <summary>Show as a table</summary>
        <div className={s.tableWrap}>
          <table className={s.table}>
            <caption className="visually-hidden">{table.caption}</caption>
            <thead>
              <tr>
                {table.head.map((h, i) => (
                  <th key={h} scope="col" className={i > 0 ? s.num : undefined}>
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.map((r, i) => (
                <tr key={i}>
                  {r.map((c, j) =>
                    j === 0 ? (
                      <th key={j} scope="row">
                        {c}
                      </th>
                    ) : (
                      <td key={j} className={s.num}>
                        {c}
                      </td>
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

type HBar = { key: string; label: ReactNode; value: number; href: string; linkLabel: string };

/** Horizontal bars whose rows are links to the matching ticket list. */
export function LinkedBars({ bars, label, testId }: { bars: HBar[]; label: string; testId?: string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  return (
    <ul className={s.hbars} aria-label={label} data-testid={testId}>
      {bars.map((b) => (
        <li key={b.key}>
          <Link className={s.hbarLink} href={b.href} aria-label={b.linkLabel}>
            <span className={s.hbarName}>{b.label}</span>
            <span className={s.hbarTrack} aria-hidden="true">
              <svg className={s.hbarSvg} viewBox="0 0 100 10" preserveAspectRatio="none">
                {b.value > 0 ? (
                  <rect
                    className={s.bar}
                    x={0}
                    y={0}
                    height={10}
                    width={Math.max(1, (b.value / max) * 100)}
                    rx={0}
                    data-testid="bar"
                    data-value={b.value}
                  />
                ) : null}
              </svg>
            </span>
            <span className={s.hbarCount}>{b.value}</span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
