import {describe, expect, it} from 'vitest';
import {checkFields, fieldFor, placeErrors, sentence} from './problems';

describe('placing a problem on a form', () => {
  const fields = ['display_name', 'home', 'home.lat', 'home.lon', 'interests', 'password'];

  it('finds the field a param names, or the nearest enclosing one', () => {
    expect(fieldFor('password', fields)).toBe('password');
    expect(fieldFor('home.lat', fields)).toBe('home.lat');
    expect(fieldFor('home.radius_m', fields)).toBe('home');
    expect(fieldFor('interests.3', fields)).toBe('interests');
    expect(fieldFor('role', fields)).toBeNull();
    expect(fieldFor(null, fields)).toBeNull();
  });

  it('puts each message by its field in form order, the rest at the top', () => {
    const placed = placeErrors(
      [
        {param: 'password', message: 'the password is too easy to guess'},
        {param: 'display_name', message: 'String should have at most 100 characters'},
        {param: 'display_name', message: 'Value error, a display name cannot contain control characters'},
        {param: 'token', message: 'this link is invalid or has expired'},
        {param: null, message: 'Too many attempts'},
      ],
      fields,
    );
    expect([...placed.byField.keys()]).toEqual(['display_name', 'password']); // the first is focused
    expect(placed.byField.get('display_name')).toEqual(['String should have at most 100 characters.', 'A display name cannot contain control characters.']);
    expect(placed.byField.get('password')).toEqual(['The password is too easy to guess.']);
    expect(placed.general).toEqual(['This link is invalid or has expired.', 'Too many attempts.']);
  });

  it('writes messages as sentences', () => {
    expect(sentence('field required')).toBe('Field required.');
    expect(sentence('Done!')).toBe('Done!');
    expect(sentence('  ')).toBe('This value is not valid.');
  });

  it('checks required and email fields before sending', () => {
    const errors = checkFields([
      {name: 'email', label: 'Email address', value: 'not-an-address', required: true, type: 'email'},
      {name: 'password', label: 'Password', value: '', required: true, type: 'password', missing: 'Enter your password'},
      {name: 'display_name', label: 'Your name', value: '', required: false, type: 'text'},
      {name: 'name', label: 'Organizer name', value: '  ', required: true, type: 'text'},
    ]);
    expect(errors).toEqual([
      {param: 'email', message: 'Enter an email address like name@example.com'},
      {param: 'password', message: 'Enter your password'},
      {param: 'name', message: 'Enter an organizer name'},
    ]);
  });
});
