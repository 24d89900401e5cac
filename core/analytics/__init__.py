"""Analytics: the sync that refreshes numbers, /stats and /report, campaigns."""
