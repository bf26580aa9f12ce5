'use strict';

// A tiny app using two packages from node_modules with plain require().
const greet = require('@demo/greet');
const leftPad = require('left-pad');

console.log(greet('Ωpm', 24));
console.log('answer: ' + leftPad('42', 6, '0'));
