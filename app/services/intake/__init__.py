"""The window (一窗受理): applications for items, bundles and projects, the one-time notice, materials.

May import: casework, stepping and below.
"""
