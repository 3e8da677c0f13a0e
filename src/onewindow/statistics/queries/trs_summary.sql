-- The Time Release Study's summary of a set of released declarations (a day of acceptance, or
-- the fast path's months): per month, breakdown and group, a histogram of each interval and a
-- sample of the traders. Read by trs_rollup.sql and, through it, by trs.sql.
-- Parameters (positional): how many traders to keep per group (the smallest pseudonyms).
-- Reads the views declarations and permit_waits (the files being summarised).
--
-- Each interval is kept in minutes rounded to a bin: to the minute below 64 minutes, and above
-- it to a multiple of the power of two w with 64 w <= |minutes| < 128 w (64 bins an octave), so
-- a value moves by at most half a minute or 1/128 (0.8%) of itself. Counts of equal bins add up
-- across days and months; a median or percentile of the bins is the exact percentile of the
-- rounded values, so it is within that bound of the exact figure.
--
-- Breakdowns: all, office, mode, channel, aeo, waited (what the release waited for: permits,
-- control, payment or nothing) and agency (each agency whose permit the release waited for; its
-- permits interval is the wait for that agency's permit). Measures: the intervals of trs.sql.
WITH released AS (
    SELECT
        declaration_id,
        month,
        trader,
        coalesce(office, 'unknown') AS office,
        coalesce(mode, 'unknown') AS mode,
        coalesce(channel, 'unknown') AS channel,
        CASE WHEN aeo THEN 'AEO' ELSE 'not AEO' END AS aeo,
        CASE
            WHEN coalesce(permit_hours, 0) > 0 OR coalesce(inspection_hours, 0) > 0
                OR coalesce(payment_hours, 0) > 0
            THEN concat_ws(
                ' + ',
                CASE WHEN coalesce(permit_hours, 0) > 0 THEN 'permits' END,
                CASE WHEN coalesce(inspection_hours, 0) > 0 THEN 'control' END,
                CASE WHEN coalesce(payment_hours, 0) > 0 THEN 'payment' END
            )
            ELSE 'nothing'
        END AS waited,
        date_diff('second', arrival_at, lodged_at) / 3600.0 AS arrival_to_lodgement,
        date_diff('second', lodged_at, accepted_at) / 3600.0 AS lodgement_to_acceptance,
        date_diff('second', accepted_at, released_at) / 3600.0 AS acceptance_to_release,
        date_diff('second', released_at, gate_out_at) / 3600.0 AS release_to_gate_out,
        date_diff('second', coalesce(arrival_at, lodged_at), released_at) / 3600.0 AS total,
        inspection_hours,
        payment_hours,
        permit_hours
    FROM declarations
    WHERE released_at IS NOT NULL
),
by_agency AS (
    SELECT r.month, r.trader, w.agency, r.arrival_to_lodgement, r.lodgement_to_acceptance,
        r.acceptance_to_release, r.release_to_gate_out, r.total, r.inspection_hours,
        r.payment_hours, w.hours AS permit_hours
    FROM released r
    JOIN permit_waits w ON w.declaration_id = r.declaration_id
),
measures AS (
    SELECT *
    FROM (
        VALUES ('arrival_to_lodgement'), ('lodgement_to_acceptance'), ('acceptance_to_release'),
            ('release_to_gate_out'), ('total'), ('inspection'), ('payment'), ('permits')
    ) m (measure)
),
hours AS (
    SELECT r.month, r.office, r.mode, r.channel, r.aeo, r.waited, m.measure,
        CASE m.measure
            WHEN 'arrival_to_lodgement' THEN r.arrival_to_lodgement
            WHEN 'lodgement_to_acceptance' THEN r.lodgement_to_acceptance
            WHEN 'acceptance_to_release' THEN r.acceptance_to_release
            WHEN 'release_to_gate_out' THEN r.release_to_gate_out
            WHEN 'total' THEN r.total
            WHEN 'inspection' THEN r.inspection_hours
            WHEN 'payment' THEN r.payment_hours
            WHEN 'permits' THEN r.permit_hours
        END AS hours
    FROM released r CROSS JOIN measures m
),
agency_hours AS (
    SELECT a.month, a.agency, m.measure,
        CASE m.measure
            WHEN 'arrival_to_lodgement' THEN a.arrival_to_lodgement
            WHEN 'lodgement_to_acceptance' THEN a.lodgement_to_acceptance
            WHEN 'acceptance_to_release' THEN a.acceptance_to_release
            WHEN 'release_to_gate_out' THEN a.release_to_gate_out
            WHEN 'total' THEN a.total
            WHEN 'inspection' THEN a.inspection_hours
            WHEN 'payment' THEN a.payment_hours
            WHEN 'permits' THEN a.permit_hours
        END AS hours
    FROM by_agency a CROSS JOIN measures m
),
binned AS (
    SELECT month, office, mode, channel, aeo, waited, measure,
        CAST(sign(minutes) * w * round(abs(minutes) / w) AS BIGINT) AS minutes
    FROM (
        SELECT *, CASE WHEN abs(minutes) < 64 THEN 1.0
                       ELSE power(2.0, floor(log2(abs(minutes) / 64.0))) END AS w
        FROM (SELECT *, hours * 60.0 AS minutes FROM hours WHERE hours IS NOT NULL) x
    ) y
),
agency_binned AS (
    SELECT month, agency, measure,
        CAST(sign(minutes) * w * round(abs(minutes) / w) AS BIGINT) AS minutes
    FROM (
        SELECT *, CASE WHEN abs(minutes) < 64 THEN 1.0
                       ELSE power(2.0, floor(log2(abs(minutes) / 64.0))) END AS w
        FROM (SELECT *, hours * 60.0 AS minutes FROM agency_hours WHERE hours IS NOT NULL) x
    ) y
),
combos AS (
    SELECT month, office, mode, channel, aeo, waited, measure, minutes, count(*) AS n
    FROM binned
    GROUP BY month, office, mode, channel, aeo, waited, measure, minutes
),
histograms AS (
    SELECT month, 'all' AS breakdown, 'all' AS grp, measure, minutes, sum(n) AS n
    FROM combos GROUP BY month, measure, minutes
    UNION ALL
    SELECT month, 'office', office, measure, minutes, sum(n)
    FROM combos GROUP BY month, office, measure, minutes
    UNION ALL
    SELECT month, 'mode', mode, measure, minutes, sum(n)
    FROM combos GROUP BY month, mode, measure, minutes
    UNION ALL
    SELECT month, 'channel', channel, measure, minutes, sum(n)
    FROM combos GROUP BY month, channel, measure, minutes
    UNION ALL
    SELECT month, 'aeo', aeo, measure, minutes, sum(n)
    FROM combos GROUP BY month, aeo, measure, minutes
    UNION ALL
    SELECT month, 'waited', waited, measure, minutes, sum(n)
    FROM combos GROUP BY month, waited, measure, minutes
    UNION ALL
    SELECT month, 'agency', agency, measure, minutes, count(*)
    FROM agency_binned GROUP BY month, agency, measure, minutes
),
traders AS (
    SELECT DISTINCT month, 'all' AS breakdown, 'all' AS grp, trader FROM released
    UNION ALL
    SELECT DISTINCT month, 'office', office, trader FROM released
    UNION ALL
    SELECT DISTINCT month, 'mode', mode, trader FROM released
    UNION ALL
    SELECT DISTINCT month, 'channel', channel, trader FROM released
    UNION ALL
    SELECT DISTINCT month, 'aeo', aeo, trader FROM released
    UNION ALL
    SELECT DISTINCT month, 'waited', waited, trader FROM released
    UNION ALL
    SELECT DISTINCT month, 'agency', agency, trader FROM by_agency
),
sampled AS (
    SELECT month, breakdown, grp, trader
    FROM (
        SELECT *, row_number() OVER (PARTITION BY month, breakdown, grp ORDER BY trader) AS k
        FROM traders
        WHERE trader IS NOT NULL
    ) t
    WHERE k <= (SELECT ? AS keep)
)
SELECT month, breakdown, grp, measure, minutes, CAST(NULL AS VARCHAR) AS trader, n
FROM histograms
UNION ALL
SELECT month, breakdown, grp, 'trader', CAST(NULL AS BIGINT), trader, CAST(1 AS BIGINT)
FROM sampled
