-- The months the store holds, newest first.
SELECT DISTINCT month FROM declarations ORDER BY month DESC
