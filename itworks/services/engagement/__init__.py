"""The coordinators' daily work: events, fairs and sign-ups.

Consultations, invitations, introductions and hires join here.
"""
