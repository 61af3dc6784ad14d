import { Router } from 'express';
import type { CurrentUserMiddleware } from '../sessions/current-user';

export function createPagesRouter(deps: { currentUser: CurrentUserMiddleware }): Router {
  const router = Router();

  router.get('/', deps.currentUser.optionalUser, (_req, res) => {
    res.render('pages/home', { title: 'Home' });
  });

  router.get('/private', deps.currentUser.requireUser, (_req, res) => {
    res.render('pages/private', { title: 'Private' });
  });

  return router;
}
