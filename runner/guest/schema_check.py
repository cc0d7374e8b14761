"""Validates a decoded JSON value against the subset of JSON Schema that zod's
toJSONSchema() emits for the protocol (see runner/protocol/json-schema.ts). The schema is the
one generated from the TypeScript declarations, so host and guest agree on one definition."""

import re

_TYPES = {
    'object': lambda v: isinstance(v, dict),
    'array': lambda v: isinstance(v, list),
    'string': lambda v: isinstance(v, str),
    'integer': lambda v: isinstance(v, int) and not isinstance(v, bool),
    'number': lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    'boolean': lambda v: isinstance(v, bool),
    'null': lambda v: v is None,
}


def _js_pattern(pattern):
    """JSON Schema patterns follow JavaScript: `$` matches only at the very end, while Python's
    `$` also matches before a final newline (so "fn\\n" would pass `^[a-z]+$`)."""
    return pattern[:-1] + r'\Z' if pattern.endswith('$') and not pattern.endswith('\\$') else pattern


def problem(schema, value, path='message'):
    """Returns None when `value` matches `schema`, else a short description of the first problem."""
    for key in ('oneOf', 'anyOf'):
        if key in schema:
            problems = [problem(s, value, path) for s in schema[key]]
            if any(p is None for p in problems):
                return None
            return problems[0]
    expected = schema.get('type')
    if expected is not None and not _TYPES[expected](value):
        return f'{path} should be {expected}'
    if 'const' in schema and value != schema['const']:
        return f'{path} should be {schema["const"]!r}'
    if 'enum' in schema and value not in schema['enum']:
        return f'{path} should be one of {", ".join(map(str, schema["enum"]))}'
    if isinstance(value, str):
        if len(value) < schema.get('minLength', 0):
            return f'{path} is too short'
        if 'maxLength' in schema and len(value) > schema['maxLength']:
            return f'{path} is longer than {schema["maxLength"]} characters'
        if 'pattern' in schema and not re.search(_js_pattern(schema['pattern']), value):
            return f'{path} does not match {schema["pattern"]}'
    if _TYPES['number'](value):
        if 'minimum' in schema and value < schema['minimum']:
            return f'{path} is below {schema["minimum"]}'
        if 'maximum' in schema and value > schema['maximum']:
            return f'{path} is above {schema["maximum"]}'
        if 'exclusiveMinimum' in schema and value <= schema['exclusiveMinimum']:
            return f'{path} must be above {schema["exclusiveMinimum"]}'
    if isinstance(value, list):
        if 'maxItems' in schema and len(value) > schema['maxItems']:
            return f'{path} has more than {schema["maxItems"]} items'
        for i, item in enumerate(value):
            p = problem(schema.get('items', {}), item, f'{path}[{i}]')
            if p:
                return p
    if isinstance(value, dict):
        for key in schema.get('required', []):
            if key not in value:
                return f'{path}.{key} is missing'
        props = schema.get('properties', {})
        for key, item in value.items():
            if key in props:
                p = problem(props[key], item, f'{path}.{key}')
                if p:
                    return p
            elif schema.get('additionalProperties') is False:
                return f'{path}.{key} is not allowed'
    return None


def variant_for(union_schema, type_name):
    """The member of the message union whose `type` is `type_name`, or None."""
    for variant in union_schema.get('oneOf', []):
        if variant.get('properties', {}).get('type', {}).get('const') == type_name:
            return variant
    return None
