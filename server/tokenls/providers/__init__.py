"""Counting through model providers: exact counts from their APIs, calibrated estimates."""
