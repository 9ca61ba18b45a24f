"""Writes for the reviews app. Each service is keyword-only, runs in one transaction, writes its
audit row and queues its messages in the outbox (sent on commit).

Split by concept: appointments (booking, attendance, rearranging), outcomes (the review form),
groups, questionnaires (requests, answers, safety alerts), mdt and notifications.
"""
