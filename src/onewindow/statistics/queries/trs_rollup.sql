-- The sum of summaries (trs_summary.sql): the files of the days of one month into the month's.
-- Parameters (positional): how many traders to keep per group (the smallest pseudonyms).
-- Reads the view trs_days (the month's day files). Histogram counts of equal bins add up; the
-- trader samples are joined and cut to the smallest again (the bottom k of a union is within
-- the union of the bottom k of its parts).
SELECT breakdown, grp, measure, minutes, CAST(NULL AS VARCHAR) AS trader, sum(n) AS n
FROM trs_days
WHERE measure <> 'trader'
GROUP BY breakdown, grp, measure, minutes
UNION ALL
SELECT breakdown, grp, 'trader', CAST(NULL AS BIGINT), trader, CAST(1 AS BIGINT)
FROM (
    SELECT breakdown, grp, trader,
        row_number() OVER (PARTITION BY breakdown, grp ORDER BY trader) AS k
    FROM (SELECT DISTINCT breakdown, grp, trader FROM trs_days WHERE measure = 'trader') d
) t
WHERE k <= (SELECT ? AS keep)
