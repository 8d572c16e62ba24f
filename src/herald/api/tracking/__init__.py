"""The public tracking routes (pixel, link, unsubscribe): no API key, signed tokens instead (room made).

A dialect like the others: it parses, calls ``herald.tracking``, and answers in its own way (an image, a
redirect, a small page), never with a stack trace.
"""
