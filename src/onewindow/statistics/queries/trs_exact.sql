-- Time Release Study (WCO method) over released consignments, by one breakdown, from the
-- declarations themselves: exact, but it sorts every consignment of the period (seconds for a
-- year of millions). The published figures come from trs.sql, over the monthly summaries;
-- this query is the reference their precision is measured against.
-- Parameters (positional): breakdown (office, mode, channel, aeo, waited, agency, month, all),
-- first month, last month (YYYY-MM), target hours (share released within it, counted from
-- arrival, or from lodgement where no arrival is known).
-- Intervals in hours: arrival to lodgement, lodgement to acceptance, acceptance to release,
-- release to gate-out, and the whole: arrival (or lodgement) to release. Waits: time under a
-- control hold (documentary check, inspection), waiting for payment, and waiting for permits
-- (from acceptance to the grant of the last permit the release waited for), where there was
-- one. By agency, each consignment counts under every agency whose permit it waited for, with
-- the wait for that agency's permit.
WITH params AS (
    SELECT CAST(? AS VARCHAR) AS breakdown, CAST(? AS VARCHAR) AS first_month,
        CAST(? AS VARCHAR) AS last_month, CAST(? AS DOUBLE) AS target_hours
),
released AS (
    SELECT
        d.declaration_id,
        d.month,
        d.trader,
        coalesce(d.office, 'unknown') AS office,
        coalesce(d.mode, 'unknown') AS mode,
        coalesce(d.channel, 'unknown') AS channel,
        CASE WHEN d.aeo THEN 'AEO' ELSE 'not AEO' END AS aeo,
        CASE
            WHEN coalesce(d.permit_hours, 0) > 0 OR coalesce(d.inspection_hours, 0) > 0
                OR coalesce(d.payment_hours, 0) > 0
            THEN concat_ws(
                ' + ',
                CASE WHEN coalesce(d.permit_hours, 0) > 0 THEN 'permits' END,
                CASE WHEN coalesce(d.inspection_hours, 0) > 0 THEN 'control' END,
                CASE WHEN coalesce(d.payment_hours, 0) > 0 THEN 'payment' END
            )
            ELSE 'nothing'
        END AS waited,
        date_diff('second', d.arrival_at, d.lodged_at) / 3600.0 AS arrival_to_lodgement,
        date_diff('second', d.lodged_at, d.accepted_at) / 3600.0 AS lodgement_to_acceptance,
        date_diff('second', d.accepted_at, d.released_at) / 3600.0 AS acceptance_to_release,
        date_diff('second', d.released_at, d.gate_out_at) / 3600.0 AS release_to_gate_out,
        date_diff('second', coalesce(d.arrival_at, d.lodged_at), d.released_at) / 3600.0
            AS total,
        d.inspection_hours,
        d.payment_hours,
        d.permit_hours
    FROM declarations d, params p
    WHERE d.released_at IS NOT NULL AND d.month BETWEEN p.first_month AND p.last_month
),
grouped AS (
    SELECT
        CASE p.breakdown
            WHEN 'office' THEN r.office
            WHEN 'mode' THEN r.mode
            WHEN 'channel' THEN r.channel
            WHEN 'aeo' THEN r.aeo
            WHEN 'waited' THEN r.waited
            WHEN 'month' THEN r.month
            ELSE 'all'
        END AS grp,
        r.trader, r.arrival_to_lodgement, r.lodgement_to_acceptance, r.acceptance_to_release,
        r.release_to_gate_out, r.total, r.inspection_hours, r.payment_hours, r.permit_hours
    FROM released r, params p
    WHERE p.breakdown <> 'agency'
    UNION ALL
    SELECT w.agency, r.trader, r.arrival_to_lodgement, r.lodgement_to_acceptance,
        r.acceptance_to_release, r.release_to_gate_out, r.total, r.inspection_hours,
        r.payment_hours, w.hours
    FROM released r
    JOIN permit_waits w ON w.declaration_id = r.declaration_id
    CROSS JOIN params p
    WHERE p.breakdown = 'agency'
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
    percentile_cont(0.5) WITHIN GROUP (ORDER BY permit_hours) AS permits_median,
    avg(CASE WHEN total <= (SELECT target_hours FROM params) THEN 1.0 ELSE 0.0 END)
        AS within_target
FROM grouped
GROUP BY coalesce(grp, 'unknown')
ORDER BY grp
