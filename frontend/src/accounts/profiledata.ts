/** The profile form's data and the `PATCH /api/v1/me` body made from it (pure, tested on its own). */
import type {Me} from '../lib/session';

export interface ProfileForm {
  display_name: string;
  locale: string;
  time_zone: string;
  units: string;
  interests: string[];
  consent: boolean;
  lat: string;
  lon: string;
  radius_km: string;
  precision: string;
}

/**
 * The `PATCH /api/v1/me` body for what the form holds. The home is sent only when it changed
 * (so saving a name does not renew the consent's date); without consent it is `null`, which
 * withdraws consent and forgets the place.
 */
export function profilePatch(now: ProfileForm, before: ProfileForm): Record<string, unknown> {
  const body: Record<string, unknown> = {
    display_name: now.display_name.trim() || null,
    locale: now.locale || null,
    time_zone: now.time_zone || null,
    units: now.units === 'imperial' ? 'imperial' : 'metric',
    interests: [...now.interests].sort(),
  };
  const homeOf = (f: ProfileForm) => JSON.stringify([f.consent, f.lat.trim(), f.lon.trim(), f.radius_km.trim(), f.precision]);
  if (homeOf(now) === homeOf(before)) return body;
  if (!now.consent) return {...body, home: null};
  const km = now.radius_km.trim();
  body.home = {
    consent: true,
    lat: Number(now.lat),
    lon: Number(now.lon),
    radius_m: km ? Math.round(Number(km) * 1000) : null,
    precision: now.precision === 'exact' ? 'exact' : 'area',
  };
  return body;
}

/** What a profile looks like in the form. */
export function formOf(me: Me): ProfileForm {
  const home = me.home ?? null;
  return {
    display_name: me.display_name ?? '',
    locale: me.locale ?? '',
    time_zone: me.time_zone ?? '',
    units: me.units ?? 'metric',
    interests: [...(me.interests ?? [])].sort(),
    consent: home !== null,
    lat: home ? String(home.lat) : '',
    lon: home ? String(home.lon) : '',
    radius_km: home?.radius_m ? String(home.radius_m / 1000) : '',
    precision: home?.precision ?? 'area',
  };
}
