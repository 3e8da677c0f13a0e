-- Time Release Study (WCO method) over released consignments, by one breakdown.
-- Parameters (positional): breakdown (office, mode, channel, aeo, month, all), first month, last
-- month (YYYY-MM), target hours (share released within it, counted from arrival, or from
-- lodgement where no arrival is known).
-- Intervals in hours: arrival to lodgement, lodgement to acceptance, acceptance to release,
-- release to gate-out, and the whole: arrival (or lodgement) to release. Waits: time under a
-- control hold (documentary check, inspection) and waiting for payment, where there was one.
WITH released AS (
    SELECT
        CASE ?
            WHEN 'office' THEN office
            WHEN 'mode' THEN mode
            WHEN 'channel' THEN channel
            WHEN 'aeo' THEN CASE WHEN aeo THEN 'AEO' ELSE 'not AEO' END
            WHEN 'month' THEN month
            ELSE 'all'
        END AS grp,
        trader,
        date_diff('second', arrival_at, lodged_at) / 3600.0 AS arrival_to_lodgement,
        date_diff('second', lodged_at, accepted_at) / 3600.0 AS lodgement_to_acceptance,
        date_diff('second', accepted_at, released_at) / 3600.0 AS acceptance_to_release,
        date_diff('second', released_at, gate_out_at) / 3600.0 AS release_to_gate_out,
        date_diff('second', coalesce(arrival_at, lodged_at), released_at) / 3600.0 AS total,
        inspection_hours,
        payment_hours
    FROM declarations
    WHERE released_at IS NOT NULL AND month BETWEEN ? AND ?
)
SELECT
    coalesce(grp, 'unknown') AS grp,
    count(*) AS consignments,
    count(DISTINCT trader) AS traders,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY arrival_to_lodgement) AS arrival_to_lodgement_median,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY lodgement_to_acceptance) AS lodgement_to_acceptance_median,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY acceptance_to_release) AS acceptance_to_release_median,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY release_to_gate_out) AS release_to_gate_out_median,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS total_median,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY total) AS total_p90,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY inspection_hours) AS inspection_median,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY payment_hours) AS payment_median,
    avg(CASE WHEN total <= ? THEN 1.0 ELSE 0.0 END) AS within_target
FROM released
GROUP BY grp
ORDER BY grp
