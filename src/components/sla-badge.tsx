"use client";

import { METRIC_LABELS, slaDisplay, type MetricKey, type SlaMetric, type SlaSymbol } from "@/lib/sla-display";
import { localDateTime, utcDateTime } from "@/lib/ticket-labels";
import { useHydrated } from "./use-hydrated";
import { useNow } from "./use-now";

type Props = {
  metricKey: MetricKey;
  metric: SlaMetric;
  serverNow: number;
  warningMinutes?: number;
  stopped?: boolean;
  /** Compact badges (ticket lists): smaller, seconds only in the last hour. */
  compact?: boolean;
};

/**
 * A live SLA badge: green while comfortably in time, amber inside the warning window, red once
 * breached, grey when paused, met or not running — each with words and an icon, not colour alone.
 * role="timer" keeps screen readers from announcing every tick.
 */
export function SlaBadge({ metricKey, metric, serverNow, warningMinutes, stopped, compact = false }: Props) {
  const now = useNow(serverNow);
  const hydrated = useHydrated();
  const d = slaDisplay(metric, now, {
    warningMinutes,
    stopped,
    seconds: !compact || Math.abs(new Date(metric.dueAt ?? 0).getTime() - now) < 3_600_000,
  });
  const label = METRIC_LABELS[metricKey];
  const title = metric.dueAt
    ? `${label} due ${hydrated ? localDateTime(metric.dueAt) : utcDateTime(metric.dueAt)}`
    : `${label}: no SLA target`;
  return (
    <span
      className={`sla-badge sla-${d.tone}${compact ? " compact" : ""}`}
      title={title}
      data-testid={`sla-${metricKey}`}
      data-tone={d.tone}
    >
      <SlaIcon symbol={d.symbol} />
      <span className="sla-name">{label}</span>
      <span className="sla-text" role="timer" data-testid={`sla-${metricKey}-text`}>
        {d.text}
      </span>
    </span>
  );
}

/** Small inline icons (SVG, so they render with any font). Decorative: the text says it all. */
function SlaIcon({ symbol }: { symbol: SlaSymbol }) {
  const common = { className: "sla-icon", width: 12, height: 12, viewBox: "0 0 12 12", "aria-hidden": true } as const;
  switch (symbol) {
    case "running":
      return (
        <svg {...common}>
          <circle cx="6" cy="6" r="4" fill="currentColor" />
        </svg>
      );
    case "warning":
      return (
        <svg {...common}>
          <path d="M6 1 L11.5 11 H0.5 Z" fill="currentColor" />
        </svg>
      );
    case "breached":
      return (
        <svg {...common}>
          <circle cx="6" cy="6" r="5.5" fill="currentColor" opacity="0.25" />
          <rect x="5" y="2.5" width="2" height="4.5" rx="0.5" fill="currentColor" />
          <circle cx="6" cy="8.8" r="1.1" fill="currentColor" />
        </svg>
      );
    case "met":
      return (
        <svg {...common}>
          <path
            d="M1.5 6.5 L4.5 9.5 L10.5 2.5"
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        </svg>
      );
    case "paused":
      return (
        <svg {...common}>
          <rect x="2.5" y="2" width="2.5" height="8" rx="0.5" fill="currentColor" />
          <rect x="7" y="2" width="2.5" height="8" rx="0.5" fill="currentColor" />
        </svg>
      );
    default:
      return (
        <svg {...common}>
          <rect x="2" y="5" width="8" height="2" rx="1" fill="currentColor" />
        </svg>
      );
  }
}
