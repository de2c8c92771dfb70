/** Sign-in (with social buttons when a provider is configured), sign-up, email verification, password reset. */
import {ApiError, getJson} from '../lib/api';
import {type Route, routeHash} from '../lib/router';
import {h} from '../ui/dom';
import {shownName} from '../ui/accountnav';
import {done, dropToken, errorText, post, resendVerification, text} from './common';
import {field, form, FormController, showPasswords, submitButton} from './forms';
import type {Page, PageContext} from './pages';

const PASSWORD_HINT = 'At least 10 characters, hard to guess: a few unrelated words work well.';

/** What a failed social sign-in (`#/sign-in?error=CODE`) means, in words. */
export const SOCIAL_ERRORS: Record<string, string> = {
  denied: 'The sign-in was cancelled at the provider.',
  state: 'That sign-in took too long or was already used. Please start again.',
  browser: 'That sign-in was started in another browser. Please start it again here.',
  'link-refused': 'This email address already has an account. Sign in with its password, then link the provider.',
  'no-email': 'The provider did not share your email address. Allow it, or sign up with a password.',
  'provider-unavailable': 'The provider cannot be reached right now. Try again shortly.',
  'provider-error': 'The provider answered with an error. Try again later.',
  'unknown-provider': 'That sign-in provider is not available.',
};

interface Provider {
  name: string;
  display_name: string;
  start_url: string;
}

// ---- sign in ----------------------------------------------------------------------------------

export function signInPage(ctx: PageContext, route: Route, signal: AbortSignal): Page {
  const {next, error} = route.name === 'sign-in' ? route : {next: null, error: null};
  const account = ctx.session.account;
  if (account) {
    queueMicrotask(() => !signal.aborted && ctx.replace(next ?? '#/account')); // nothing to do here: go on
    return {title: 'Sign in', body: [h('p', {role: 'status'}, `You are signed in as ${shownName(account)}.`)]};
  }
  const body = form(
    'Sign in',
    field({name: 'email', label: 'Email address', type: 'email', autocomplete: 'username', required: true, maxlength: 254, missing: 'Enter your email address'}),
    field({name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 256, missing: 'Enter your password'}),
  );
  body.append(showPasswords(body), h('p', {class: 'actions'}, submitButton('Sign in')));
  const controller = new FormController(body, async (data) => {
    const me = await ctx.session.signIn(text(data, 'email').trim(), text(data, 'password'));
    ctx.notify(`Signed in as ${shownName(me)}.`);
    if (next) ctx.replace(next);
    else ctx.close({replace: true});
  });
  if (error) controller.showErrors([{param: null, message: SOCIAL_ERRORS[error] ?? `The social sign-in did not work (${error}). Please try again.`}]);
  const social = h('div', {class: 'social', hidden: true});
  void showProviders(social, next, signal);
  // Opened before the session cookie was looked at, by someone who turns out to be signed in: go on.
  void ctx.session.ready.then(() => ctx.session.account && !signal.aborted && ctx.replace(next ?? '#/account'));
  return {
    title: 'Sign in',
    body: [
      body,
      h('p', {}, h('a', {href: '#/reset'}, 'Forgot your password?')),
      h('p', {}, 'New to Happenings? ', h('a', {href: routeHash({name: 'sign-up'})}, 'Create an account'), '.'),
      social,
    ],
  };
}

/** One button per configured provider (none: nothing is shown). */
async function showProviders(root: HTMLElement, next: string | null, signal: AbortSignal): Promise<void> {
  let providers: Provider[];
  try {
    providers = (await getJson<{items: Provider[]}>('/api/v1/auth/oidc/providers', signal)).items;
  } catch {
    return; // no social sign-in on this server (or it cannot say): the password form is enough
  }
  if (!providers.length || signal.aborted) return;
  // Where the provider sends the person back: this page of the map, then the page they were going to.
  const landing = `${location.pathname}${location.search}${next ?? ''}`;
  const back = landing.length <= 200 ? landing : '/';
  root.replaceChildren(
    h('p', {class: 'social-or'}, h('span', {}, 'or')),
    ...providers.map((p) =>
      h('a', {class: 'btn btn-secondary btn-wide', href: `${p.start_url}?${new URLSearchParams({next: back})}`, 'data-provider': p.name}, `Continue with ${p.display_name}`),
    ),
  );
  root.hidden = false;
}

// ---- sign up ----------------------------------------------------------------------------------

export function signUpPage(ctx: PageContext): Page {
  const body = form(
    'Create an account',
    field({name: 'display_name', label: 'Your name', autocomplete: 'name', maxlength: 100, hint: 'Shown to the teams you join.'}),
    field({name: 'email', label: 'Email address', type: 'email', autocomplete: 'email', required: true, maxlength: 254}),
    field({name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', required: true, maxlength: 256, hint: PASSWORD_HINT}),
  );
  body.append(showPasswords(body), h('p', {class: 'actions'}, submitButton('Create account')));
  const box = h('div', {}, body);
  new FormController(body, async (data) => {
    const email = text(data, 'email').trim();
    const name = text(data, 'display_name').trim();
    await post('/api/v1/auth/register', {email, password: text(data, 'password'), ...(name ? {display_name: name} : {})});
    done(
      box,
      h('h2', {}, 'Check your mail'),
      h('p', {}, `We sent a link to ${email}. Open it to confirm your address.`),
      h('p', {}, 'You can sign in already; publishing and buying tickets wait for the confirmation.'),
      h('p', {}, h('a', {class: 'btn btn-primary', href: '#/sign-in'}, 'Sign in')),
    );
  });
  ctx.session.ready.then(() => ctx.session.account && ctx.notify(`You are already signed in as ${shownName(ctx.session.account)}.`));
  return {
    title: 'Create an account',
    body: [box, h('p', {}, 'Already have an account? ', h('a', {href: '#/sign-in'}, 'Sign in'), '.')],
  };
}

// ---- verify -----------------------------------------------------------------------------------

export function verifyPage(ctx: PageContext, route: Route): Page {
  const token = route.name === 'verify' ? route.token : null;
  const box = h('div', {class: 'notice', role: 'status', 'aria-live': 'polite'}, token ? 'Confirming your email address…' : '');
  if (!token) {
    box.textContent = 'This link is incomplete. Open the link in the mail again, or copy all of it into the address bar.';
    return {title: 'Confirm your email address', body: [box]};
  }
  void (async () => {
    try {
      await post('/api/v1/auth/verify', {token});
      dropToken(route);
      await ctx.session.ready;
      if (ctx.session.state === 'signed-in') await ctx.session.loadAccount().catch(() => undefined);
      box.replaceChildren(
        h('p', {}, 'Your email address is confirmed. Thank you!'),
        h('p', {}, ctx.session.account ? h('a', {class: 'btn btn-primary', href: '#/account'}, 'Go to your account') : h('a', {class: 'btn btn-primary', href: '#/sign-in'}, 'Sign in')),
      );
    } catch (error) {
      box.setAttribute('role', 'alert');
      box.replaceChildren(
        h('p', {}, error instanceof ApiError && error.status === 400 ? 'This link is invalid, was already used or has expired.' : `Your address could not be confirmed: ${errorText(error)}`),
      );
      await ctx.session.ready;
      const me = ctx.session.account;
      if (me && !me.email_verified) box.append(h('p', {}, 'A new link can be sent to your address.'), resendVerification(ctx));
      else if (!me) box.append(h('p', {}, 'Sign in to have a new link sent. ', h('a', {href: '#/sign-in?next=%23%2Faccount'}, 'Sign in')));
    }
  })();
  return {title: 'Confirm your email address', body: [box]};
}

// ---- reset ------------------------------------------------------------------------------------

export function resetPage(ctx: PageContext, route: Route): Page {
  const token = route.name === 'reset' ? route.token : null;
  return token ? chooseNewPassword(ctx, token) : askForResetLink();
}

function askForResetLink(): Page {
  const body = form('Reset your password', field({name: 'email', label: 'Email address', type: 'email', autocomplete: 'username', required: true, maxlength: 254}));
  body.append(h('p', {class: 'actions'}, submitButton('Send me a link')));
  const box = h('div', {}, body);
  new FormController(body, async (data) => {
    const email = text(data, 'email').trim();
    await post('/api/v1/auth/password-reset', {email});
    done(box, h('h2', {}, 'Check your mail'), h('p', {}, `If an account uses ${email}, a mail with a link to choose a new password is on its way. The link works once, for an hour.`));
  });
  return {
    title: 'Reset your password',
    body: [h('p', {}, 'Enter the address you signed up with; we will mail you a link to choose a new password.'), box, h('p', {}, h('a', {href: '#/sign-in'}, 'Back to sign in'))],
  };
}

function chooseNewPassword(ctx: PageContext, token: string): Page {
  const body = form(
    'Choose a new password',
    field({name: 'password', label: 'New password', type: 'password', autocomplete: 'new-password', required: true, maxlength: 256, hint: PASSWORD_HINT}),
    field({name: 'confirm', label: 'New password again', type: 'password', autocomplete: 'new-password', required: true, maxlength: 256}),
  );
  body.append(showPasswords(body), h('p', {class: 'actions'}, submitButton('Change password')));
  const box = h('div', {}, body);
  new FormController(body, async (data) => {
    const password = text(data, 'password');
    if (password !== text(data, 'confirm')) throw new ApiError(422, 'Invalid request', 'The two passwords differ.', 'confirm', [{param: 'confirm', message: 'The two passwords differ: type the same one twice'}]);
    try {
      await post('/api/v1/auth/password-reset/confirm', {token, password});
    } catch (error) {
      if (error instanceof ApiError && error.param === 'token') {
        throw new ApiError(error.status, error.title, 'This link is invalid, was already used or has expired: ask for a new one below.');
      }
      throw error;
    }
    dropToken({name: 'reset', token});
    ctx.session.forget(); // every session of the account ended, this one too
    done(box, h('h2', {}, 'Password changed'), h('p', {}, 'Your new password is set, and every device was signed out.'), h('p', {}, h('a', {class: 'btn btn-primary', href: '#/sign-in'}, 'Sign in')));
  });
  return {title: 'Choose a new password', body: [box, h('p', {}, h('a', {href: '#/reset'}, 'Ask for a new link'))]};
}
