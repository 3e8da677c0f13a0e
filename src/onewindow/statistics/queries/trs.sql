-- Time Release Study (WCO method) over released consignments, by one breakdown, from the
-- monthly summaries (trs_months, written by the export: see trs_summary.sql): a year is twelve
-- small files, whatever the traffic.
-- Parameters (positional): breakdown (office, mode, channel, aeo, waited, agency, month, all),
-- first month, last month (YYYY-MM), target hours (share released within it, counted from
-- arrival, or from lodgement where no arrival is known).
-- The columns are those of trs_exact.sql. Precision: each interval is counted in a bin of half
-- a minute or 1/128 of its value either side, so every median and percentile is within half a
-- minute or 0.8% of the exact figure (the exact percentile of the binned values), and the share
-- within the target is the exact share within a target moved by at most as much. traders counts
-- the distinct traders exactly up to the summaries' sample (100), at least that many above it.
WITH params AS (
    SELECT CAST(? AS VARCHAR) AS breakdown, CAST(? AS VARCHAR) AS first_month,
        CAST(? AS VARCHAR) AS last_month, CAST(? AS DOUBLE) AS target_hours
),
chosen AS (
    SELECT
        CASE WHEN p.breakdown = 'month' THEN s.month ELSE s.grp END AS grp,
        s.measure, s.minutes, s.trader, s.n
    FROM trs_months s, params p
    WHERE s.month BETWEEN p.first_month AND p.last_month
        AND s.breakdown = CASE WHEN p.breakdown IN ('month', 'all') THEN 'all' ELSE p.breakdown END
),
bins AS (
    SELECT grp, measure, minutes, sum(n) AS n
    FROM chosen
    WHERE measure <> 'trader'
    GROUP BY grp, measure, minutes
),
ranked AS (
    SELECT grp, measure, minutes, n,
        sum(n) OVER (PARTITION BY grp, measure ORDER BY minutes
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - n AS below,
        sum(n) OVER (PARTITION BY grp, measure) AS total_n
    FROM bins
),
positions AS (
    -- percentile_cont's position: rank q (n - 1), counted from 0, between two neighbours.
    SELECT w.grp, w.measure, q.q, q.q * (w.total_n - 1) AS r
    FROM (SELECT DISTINCT grp, measure, total_n FROM ranked) w
    CROSS JOIN (VALUES (0.5), (0.9)) q (q)
),
quantiles AS (
    SELECT p.grp, p.measure, p.q,
        max(CASE WHEN floor(p.r) >= k.below AND floor(p.r) < k.below + k.n THEN k.minutes END)
            AS lower_minutes,
        max(CASE WHEN ceil(p.r) >= k.below AND ceil(p.r) < k.below + k.n THEN k.minutes END)
            AS upper_minutes,
        max(p.r - floor(p.r)) AS fraction
    FROM positions p
    JOIN ranked k ON k.grp = p.grp AND k.measure = p.measure
    GROUP BY p.grp, p.measure, p.q
),
hours AS (
    SELECT grp,
        max(CASE WHEN measure = 'arrival_to_lodgement' AND q = 0.5 THEN h END)
            AS arrival_to_lodgement_median,
        max(CASE WHEN measure = 'lodgement_to_acceptance' AND q = 0.5 THEN h END)
            AS lodgement_to_acceptance_median,
        max(CASE WHEN measure = 'acceptance_to_release' AND q = 0.5 THEN h END)
            AS acceptance_to_release_median,
        max(CASE WHEN measure = 'release_to_gate_out' AND q = 0.5 THEN h END)
            AS release_to_gate_out_median,
        max(CASE WHEN measure = 'total' AND q = 0.5 THEN h END) AS total_median,
        max(CASE WHEN measure = 'total' AND q = 0.9 THEN h END) AS total_p90,
        max(CASE WHEN measure = 'inspection' AND q = 0.5 THEN h END) AS inspection_median,
        max(CASE WHEN measure = 'payment' AND q = 0.5 THEN h END) AS payment_median,
        max(CASE WHEN measure = 'permits' AND q = 0.5 THEN h END) AS permits_median
    FROM (
        SELECT grp, measure, q,
            (lower_minutes + fraction * (upper_minutes - lower_minutes)) / 60.0 AS h
        FROM quantiles
    ) x
    GROUP BY grp
),
counts AS (
    SELECT b.grp,
        sum(CASE WHEN b.measure = 'total' THEN b.n ELSE 0 END) AS consignments,
        sum(CASE WHEN b.measure = 'total' AND b.minutes <= p.target_hours * 60 THEN b.n ELSE 0 END)
            AS within
    FROM bins b, params p
    GROUP BY b.grp
),
traders AS (
    SELECT grp, count(DISTINCT trader) AS traders
    FROM chosen
    WHERE measure = 'trader'
    GROUP BY grp
)
SELECT
    c.grp,
    CAST(c.consignments AS BIGINT) AS consignments,
    CAST(coalesce(t.traders, 0) AS BIGINT) AS traders,
    h.arrival_to_lodgement_median,
    h.lodgement_to_acceptance_median,
    h.acceptance_to_release_median,
    h.release_to_gate_out_median,
    h.total_median,
    h.total_p90,
    h.inspection_median,
    h.payment_median,
    h.permits_median,
    CASE WHEN c.consignments > 0 THEN c.within * 1.0 / c.consignments END AS within_target
FROM counts c
LEFT JOIN traders t ON t.grp = c.grp
LEFT JOIN hours h ON h.grp = c.grp
WHERE c.consignments > 0
ORDER BY c.grp
