"""Loopback HTTP emulators of the ad-platform APIs, serving a simulated world's platform data."""
