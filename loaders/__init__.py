"""Loaders: source deliveries -> staging -> cleansed -> golden customer -> star."""
