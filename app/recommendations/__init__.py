"""Recommendations: interaction signals, model training, "for you", "popular near here", similar events."""
